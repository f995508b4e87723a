"""Apply the curated lay terms (platform/review/data/lay_terms.csv) as reviewed changes.

Lay terms and abbreviations are content, not query rewrites: each code whose seed terms are not
all among its lay terms yet gets one change request adding them (merged after the existing
terms, none dropped), submitted by the curator actor and approved by a different reviewer actor,
so the four-eyes rule of the editorial workflow holds and the history shows who added what.
The whole file is checked before anything is written; re-running it changes nothing, and
finds that out from the codes read model in one query when it can (`already_applied`).
The approvals are projected once at the end, not after each of the few hundred commits.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from codeledger import domain
from codes.content import FIELDS, MAX_ITEMS
from codes.models import CodeEntry
from codes.selectors import load_code
from codes.systems import SYSTEMS, get_system
from events.models import ProjectorState
from events.progress import progress_bar, project_with_progress, projected_afterwards
from events.store import head_position
from review.actions import change_request_approve, change_request_submit, change_request_withdraw

SEED_FILE = Path(__file__).resolve().parents[2] / "data" / "lay_terms.csv"
COLUMNS = ["system", "code", "lay_terms"]
SEPARATOR = "|"
CURATOR = domain.Actor("lay-terms-curator", frozenset({domain.EDITOR}))
REVIEWER = domain.Actor("lay-terms-reviewer", frozenset({domain.REVIEWER}))
ATTEMPTS = 3  # a code changed by someone else meanwhile: plan again against its new version
MAX_ERRORS_SHOWN = 20


class SeedError(ValueError):
    """The seed file cannot be applied; `errors` says where and why, one line each."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__("\n  ".join(["the lay-terms file was refused:", *shown]) + more)


@dataclass(frozen=True)
class Addition:
    system: str
    code: str  # display form
    terms: tuple[str, ...]  # the seed terms, in file order


def read_seed(path: Path) -> list[Addition]:
    """The file's terms per code (rows for one code are merged); SeedError lists every bad row."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError([f"{path}: {error}"]) from None
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise SeedError([f"{path}: no header and no rows"])
    header_number, header = numbered[0]
    if next(csv.reader([header])) != COLUMNS:
        raise SeedError([f"line {header_number}: the header must be {','.join(COLUMNS)}"])
    errors, terms_by_code = [], {}
    limit = FIELDS["lay_terms"].max_length
    for number, line in numbered[1:]:
        row = next(csv.reader([line]))
        if len(row) != len(COLUMNS):
            errors.append(f"line {number}: {len(row)} columns, expected {len(COLUMNS)}")
            continue
        system, code, raw_terms = (cell.strip() for cell in row)
        if system not in SYSTEMS:
            errors.append(f"line {number}: unknown system {system!r}; known: {', '.join(SYSTEMS)}")
            continue
        try:
            display = get_system(system).display(code)
        except ValidationError as error:
            errors.append(f"line {number}: {code!r}: {error.messages[0]}")
            continue
        terms = [term.strip() for term in raw_terms.split(SEPARATOR)]
        if not any(terms):
            errors.append(f"line {number}: {display} has no lay terms")
            continue
        for term in terms:
            if not term:
                errors.append(f"line {number}: {display} has an empty term (a stray {SEPARATOR!r})")
            elif len(term) > limit:
                errors.append(
                    f"line {number}: a term of {display} is {len(term)} characters; "
                    f"the limit is {limit}"
                )
        terms_by_code.setdefault((system, display), []).extend(t for t in terms if t)
    if errors:
        raise SeedError(errors)
    return [
        Addition(system, code, tuple(dict.fromkeys(terms)))
        for (system, code), terms in terms_by_code.items()
    ]


def missing_terms(existing: list[str], wanted: tuple[str, ...]) -> list[str]:
    """The wanted terms a code lacks (compared without case), in the file's order."""
    have = {term.casefold() for term in existing}
    return [term for term in wanted if term.casefold() not in have]


def already_applied(additions: list[Addition]) -> bool:
    """Whether every code has all its terms, told from the codes read model in one query: a
    later start's check, instead of reading each code's stream. Only when that read model has
    every event and the codes have no change scheduled (their rows then show their latest
    content); False means "not known here", and `pending` reads the streams."""
    state = ProjectorState.objects.filter(name="codes").values_list("checkpoint", flat=True)
    if next(iter(state), 0) < head_position():
        return False
    wanted = {(a.system, a.code): a.terms for a in additions}
    rows = CodeEntry.objects.filter(
        code__in={code for _, code in wanted}, system__in={system for system, _ in wanted}
    ).values_list("system", "code", "content", "scheduled")
    have = {
        (system, code): content.get("lay_terms") or []
        for system, code, content, scheduled in rows
        if not scheduled
    }
    return all(key in have and not missing_terms(have[key], terms) for key, terms in wanted.items())


def pending(additions: list[Addition]) -> list[Addition]:
    """The additions that still add something; SeedError lists every code that cannot take its
    terms (no such code, or too many terms)."""
    errors, todo = [], []
    for addition in additions:
        state = load_code(addition.system, addition.code)
        if not state.exists:
            errors.append(f"{addition.system} {addition.code}: no such code (import it first)")
            continue
        existing = state.content.get("lay_terms") or []
        new = missing_terms(existing, addition.terms)
        if len(existing) + len(new) > MAX_ITEMS:
            errors.append(
                f"{addition.system} {addition.code}: {len(existing) + len(new)} lay terms; "
                f"the limit is {MAX_ITEMS}"
            )
        elif new:
            todo.append(addition)
    if errors:
        raise SeedError(errors)
    return todo


def apply_addition(addition: Addition, *, source: str) -> list[str]:
    """Add the code's missing terms through a reviewed change request; the terms added."""
    for attempt in range(1, ATTEMPTS + 1):
        state = load_code(addition.system, addition.code)
        existing = list(state.content.get("lay_terms") or [])
        new = missing_terms(existing, addition.terms)
        if not new:
            return []
        try:
            submitted = change_request_submit(
                actor=CURATOR,
                system=addition.system,
                code=addition.code,
                base_version=state.version,
                changes={"lay_terms": existing + new},
                rationale=f"Curated lay terms from {source}: {'; '.join(new)}",
            )
        except domain.StaleBase:
            continue  # the code moved between reading and submitting: plan again
        request = submitted.change_request
        try:
            change_request_approve(
                actor=REVIEWER,
                change_id=request.change_id,
                expected_version=request.version,
                note="Reviewed with the curated lay-terms file",
            )
        except domain.StaleBase:
            # Someone changed the code in between: nothing was applied; withdraw, plan again.
            change_request_withdraw(
                actor=CURATOR, change_id=request.change_id, expected_version=request.version
            )
            if attempt == ATTEMPTS:
                raise
            continue
        return new
    raise CommandError(f"{addition.code} kept changing while its lay terms were applied")


class Command(BaseCommand):
    help = (
        "Add the curated lay terms and abbreviations to their codes as reviewed change "
        "requests (curator proposes, reviewer approves). Existing lay terms are kept; "
        "re-running changes nothing; a bad row refuses the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=SEED_FILE,
            help="CSV of system,code,lay_terms (terms separated by |); default: the curated seed",
        )

    def handle(self, *args, file, **options):
        try:
            additions = read_seed(file)
            todo = [] if already_applied(additions) else pending(additions)
        except SeedError as error:
            raise CommandError(str(error)) from None
        source = file.name
        changed = terms_added = 0
        with (
            progress_bar(
                total=len(todo), unit="code", desc="applying lay terms", stream=self.stderr._out
            ) as bar,
            projected_afterwards(),
        ):
            for addition in todo:
                added = apply_addition(addition, source=source)
                if added:
                    changed += 1
                    terms_added += len(added)
                bar.update()
        if changed:
            project_with_progress(self.stderr._out)
        self.stdout.write(
            f"lay terms from {file}: {len(additions)} codes, {changed} changed "
            f"({terms_added} terms added), {len(additions) - changed} already had every term"
        )
