"""Apply the curated glossary (platform/knowledge/data/glossary.csv) as reviewed terms.

The glossary is content: each term of the file that the glossary has never approved is
proposed by the curator actor and approved by a different reviewer actor, so the four-eyes
rule holds and each term's history shows who added it and from which source. Terms approved
before are left as reviewed (a later wording change goes through review, and the file never
reverts it); a term with a proposal waiting is left to its reviewer. The whole file is checked
before anything is written; re-running it changes nothing.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from codeledger import domain
from knowledge.actions import glossary_term_approve, glossary_term_propose, load_term
from knowledge.glossary import MAX_PLAIN, MAX_SOURCE, MAX_TERM, normalise_term

SEED_FILE = Path(__file__).resolve().parents[2] / "data" / "glossary.csv"
COLUMNS = ["term", "plain", "source"]
CURATOR = domain.Actor("glossary-curator", frozenset({domain.EDITOR}))
REVIEWER = domain.Actor("glossary-reviewer", frozenset({domain.REVIEWER}))


@dataclass(frozen=True)
class Row:
    term: str
    plain: str
    source: str


def read_seed(path: Path) -> list[Row]:
    """The file's rows; CommandError lists every bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: {error}") from None
    numbered = [
        (n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")
    ]
    if not numbered or next(csv.reader([numbered[0][1]])) != COLUMNS:
        raise CommandError(f"{path}: the first row must be the header {','.join(COLUMNS)}")
    errors, rows, seen = [], [], set()
    limits = {"term": MAX_TERM, "plain": MAX_PLAIN, "source": MAX_SOURCE}
    for n, line in numbered[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(COLUMNS):
            errors.append(f"line {n}: {len(cells)} columns, expected {len(COLUMNS)}")
            continue
        row = Row(normalise_term(cells[0]), " ".join(cells[1].split()), " ".join(cells[2].split()))
        for name, limit in limits.items():
            value = getattr(row, name)
            if not value:
                errors.append(f"line {n}: {name} is empty")
            elif len(value) > limit:
                errors.append(f"line {n}: {name} is {len(value)} characters; the limit is {limit}")
        if row.term in seen:
            errors.append(f"line {n}: “{row.term}” is listed twice")
        seen.add(row.term)
        rows.append(row)
    if errors:
        raise CommandError("the glossary file was refused:\n  " + "\n  ".join(errors))
    return rows


def apply_row(row: Row) -> str:
    """What happened to one row: added, kept (approved before) or waiting (a proposal is)."""
    state = load_term(row.term)
    if state.plain:
        return "kept"
    if state.pending is not None:
        return "waiting"
    glossary_term_propose(actor=CURATOR, term=row.term, plain=row.plain, source=row.source)
    glossary_term_approve(
        actor=REVIEWER, term=row.term, note="Reviewed with the curated glossary file"
    )
    return "added"


class Command(BaseCommand):
    help = (
        "Add the curated glossary terms as reviewed content (curator proposes, reviewer "
        "approves). Terms approved before are kept; re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=SEED_FILE, help="CSV of term,plain,source")

    def handle(self, *args, file, **options):
        rows = read_seed(file)
        counts = {"added": 0, "kept": 0, "waiting": 0}
        for row in rows:
            counts[apply_row(row)] += 1
        self.stdout.write(
            f"glossary from {file}: {len(rows)} terms, {counts['added']} added, "
            f"{counts['kept']} already approved, {counts['waiting']} waiting for review"
        )
