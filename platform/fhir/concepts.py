"""One concept of a code system, as FHIR's CodeSystem operations answer about it: $lookup,
$validate-code and $subsumes, read from CodeLedger's read models (today) or from the code's
stream (on a `date`, codes.selectors.code_as_of).

What a caller may read is what the REST code API lets them read (codeledger.api.withheld_for):
licensed text only with the licence, the metered sections (lay terms, notes) only with an API
key or an editorial role. A licensed system without the licence answers every code alike, so
the answer says nothing about which codes exist.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from accounts.licensing import licensed_systems
from alphabetic_index.selectors import index_entries_leading_to
from codeledger.api import withheld_for
from codeledger.domain import NotFound
from codes.models import CodeEntry, CodeVersion
from codes.selectors import applicable_notes, code_as_of, code_current, code_lineage
from fhir.systems import FhirSystem, by_url, fhir_systems, releases

# Designation uses and concept properties CodeLedger defines (docs/fhir.md).
DESIGNATION_USE = "urn:codeledger:fhir:designation-use"
INDEX_TERMS_SHOWN = 50
# Hierarchies in which a code's descendants are exactly the codes that start with it (I21 ->
# I21.4; ICD-10-PCS codes are all 7 characters, so none has another below it): subtrees are
# read as a range of the (system, normalised) index. A code's children are read by the
# (system, parent) index in every system.
PREFIX_HIERARCHIES = frozenset({"icd10cm", "icd10pcs"})


class Unreadable(NotFound):
    """The code is in a licensed system the caller holds no licence for."""


@dataclass(frozen=True)
class Concept:
    """A code as in force on a day: its content and when that content came into force."""

    fhir_system: FhirSystem
    code: str
    content: dict
    version: int
    on: date

    @property
    def display(self) -> str:
        return self.content.get("official_descriptor") or ""

    @property
    def selectable(self) -> bool:
        return bool(self.content.get("billable"))

    @property
    def active(self) -> bool:
        return (self.content.get("status") or "active") == "active"


def code_system(url: str) -> FhirSystem:
    """The system of a canonical URL; 404 for one CodeLedger does not serve."""
    found = by_url(url)
    if found is None:
        known = ", ".join(s.url for s in fhir_systems())
        raise NotFound(f"CodeLedger serves no code system {url!r} (it serves {known})")
    return found


def check_version(fhir_system: FhirSystem, version: str | None) -> None:
    if version is not None and version not in releases(fhir_system):
        known = ", ".join(releases(fhir_system)) or "none yet"
        raise NotFound(
            f"{fhir_system.system.label} has no version {version!r} here (releases: {known})"
        )


def may_read(request, fhir_system: FhirSystem) -> bool:
    return not fhir_system.system.licensed or fhir_system.name in licensed_systems(request)


def unreadable(fhir_system: FhirSystem) -> Unreadable:
    label = fhir_system.system.label
    return Unreadable(
        f"{label} content is licensed: its codes are served only to organisations holding a "
        f"{label} licence (sign in, or send an API key of such an organisation)"
    )


def display_code(fhir_system: FhirSystem, code: str) -> str:
    """The code as CodeLedger writes it; NotFound when it cannot be a code of the system."""
    try:
        return fhir_system.system.display(code)
    except ValidationError as error:
        raise NotFound(error.messages[0]) from None


def read_concept(request, fhir_system: FhirSystem, code: str, on: date | None) -> Concept:
    """The code as in force `on` a day (today without one); NotFound when it is not, or when
    the caller may not read the system."""
    if not may_read(request, fhir_system):
        raise unreadable(fhir_system)
    display = display_code(fhir_system, code)
    today = timezone.localdate()
    if on is None or on == today:
        entry = code_current(system=fhir_system.name, code=display)
        return Concept(fhir_system, entry.code, entry.content, entry.in_force_version, today)
    view = code_as_of(system=fhir_system.name, code=display, as_of=on)
    return Concept(fhir_system, view.state.code, view.state.content, view.state.version, on)


def exists(fhir_system: FhirSystem, code: str) -> bool:
    """Registered at all (in force on some day, or to be)."""
    return CodeEntry.objects.filter(system=fhir_system.name, code=code).exists()


def children(concept: Concept) -> list[str]:
    """The active codes whose parent the concept is, on the concept's day.

    Today's are read from the rows. On another day, as $expand's date does (and for the same
    reason: a row holds today's state), the rows no change has touched since the earlier of
    the two days are as they were then; the codes a change touched after it (a code added
    after the day, one retired, one moved under another parent) are read from their streams
    on the day, so a code added after the day is not a child on it, and a retired one is a
    child until its retirement.
    """
    system = concept.fhir_system.name
    below = CodeEntry.objects.filter(system=system, parent=concept.code)  # (system, parent) index
    active = below.filter(in_force=True, status="active")
    today = timezone.localdate()
    if concept.on == today:
        return list(active.order_by("normalised").values_list("code", flat=True))
    changed = CodeVersion.objects.filter(system=system, effective_from__gt=min(concept.on, today))
    found = set(active.exclude(code__in=changed.values("code")).values_list("code", flat=True))
    # What a change after that day may make a child on the day: today's children by the row
    # (retired ones too), and any code a later version moved under or away from this one.
    moved = Q(changes__parent__to=concept.code) | Q(changes__parent__from=concept.code)
    touched = set(changed.filter(moved).values_list("code", flat=True))
    touched |= set(changed.filter(code__in=below.values("code")).values_list("code", flat=True))
    for code in touched - found:
        try:
            content = code_as_of(system=system, code=code, as_of=concept.on).state.content
        except NotFound:
            continue  # not in force on the day
        if (
            content.get("parent") == concept.code
            and (content.get("status") or "active") == "active"
        ):
            found.add(code)
    return sorted(found, key=lambda code: code.replace(".", "").lower())


def _effective_dates(concept: Concept) -> dict[str, date]:
    rows = CodeVersion.objects.filter(
        system=concept.fhir_system.name, code=concept.code, version__in=[1, concept.version]
    ).values_list("version", "effective_from")
    found = dict(rows)
    dates = {}
    if 1 in found:
        dates["in-force-from"] = found[1]
    if concept.version in found:
        dates["content-from"] = found[concept.version]
    return dates


def _property(code: str, kind: str, value, **subproperties) -> dict:
    entry = {"name": "property", "part": [{"name": "code", "valueCode": code}]}
    entry["part"].append({"name": "value", kind: value})
    for sub_code, sub_value in subproperties.items():
        entry["part"].append(
            {
                "name": "subproperty",
                "part": [
                    {"name": "code", "valueCode": sub_code},
                    {"name": "value", "valueCode": sub_value},
                ],
            }
        )
    return entry


def _designation(use: str, value: str) -> dict:
    return {
        "name": "designation",
        "part": [
            {"name": "language", "valueCode": "en"},
            {"name": "use", "valueCoding": {"system": DESIGNATION_USE, "code": use}},
            {"name": "value", "valueString": value},
        ],
    }


def lookup(request, params: dict) -> dict:
    """$lookup: the concept's display, designations and properties (Parameters)."""
    coding = params.get("coding") or {}
    url = params.get("system") or coding.get("system")
    code = params.get("code") or coding.get("code")
    if not url or not code:
        raise serializers.ValidationError({"code": ["give system and code, or coding"]})
    fhir_system = code_system(url)
    check_version(fhir_system, params.get("version") or coding.get("version"))
    concept = read_concept(request, fhir_system, code, params.get("date"))
    wanted = set(params.get("property") or ())
    withheld = withheld_for(request, fhir_system.name)
    content = concept.content

    def asked(name: str) -> bool:
        return not wanted or name in wanted

    answer = [
        {"name": "name", "valueString": fhir_system.system.label},
        {"name": "display", "valueString": concept.display},
    ]
    if version := (params.get("version") or coding.get("version")):
        answer.insert(1, {"name": "version", "valueString": version})
    if asked("designation"):
        if content.get("short_descriptor") and "short_descriptor" not in withheld:
            answer.append(_designation("short-descriptor", content["short_descriptor"]))
        if "lay_terms" not in withheld:
            answer += [_designation("lay-term", t) for t in content.get("lay_terms") or []]
        entries = index_entries_leading_to(
            system=fhir_system.name, code=concept.code, limit=INDEX_TERMS_SHOWN
        )
        answer += [_designation("index-term", entry.path) for entry in entries]
    if asked("parent") and content.get("parent"):
        answer.append(_property("parent", "valueCode", content["parent"]))
    if asked("child"):
        answer += [_property("child", "valueCode", child) for child in children(concept)]
    if asked("notSelectable"):
        answer.append(_property("notSelectable", "valueBoolean", not concept.selectable))
    if asked("status"):
        answer.append(_property("status", "valueCode", content.get("status") or "active"))
    if asked("inactive"):
        answer.append(_property("inactive", "valueBoolean", not concept.active))
    for name, day in _effective_dates(concept).items():
        if asked(name):
            answer.append(_property(name, "valueDateTime", day.isoformat()))
    if "notes" not in withheld:
        on = None if concept.on == timezone.localdate() else concept.on
        notes = applicable_notes(system=fhir_system.name, code=concept.code, as_of=on)
        for note in notes:
            if asked(note["kind"]) or asked("notes"):
                answer.append(
                    _property(note["kind"], "valueString", note["text"], **{"from": note["from"]})
                )
    return {"resourceType": "Parameters", "parameter": answer}


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def validate_concept(request, fhir_system: FhirSystem, code: str, params: dict) -> dict:
    """Whether `code` is a code a coder may use (in force on the date, active, selectable,
    and called `display` if one is given): {"result", "message"?, "display"?, "code"}."""
    on = params.get("date")
    when = f"on {on.isoformat()}" if on else "today"
    if not may_read(request, fhir_system):
        return {"result": False, "message": str(unreadable(fhir_system))}
    try:
        display = fhir_system.system.display(code)
    except ValidationError as error:
        return {"result": False, "message": error.messages[0]}
    try:
        concept = read_concept(request, fhir_system, display, on)
    except NotFound:
        if exists(fhir_system, display):
            return {"result": False, "message": f"{display} is not in force {when}"}
        return {"result": False, "message": f"unknown code {display} in {fhir_system.system.label}"}
    answer = {"code": concept.code, "display": concept.display}
    if not concept.active:
        return {**answer, "result": False, "message": f"{display} is retired: not in force {when}"}
    if not concept.selectable and params.get("abstract") is not True:
        return {
            **answer,
            "result": False,
            "message": f"{display} is a header, not selectable: code one of the codes below it",
        }
    given = params.get("display") or (params.get("coding") or {}).get("display")
    if given:
        names = [concept.display, concept.content.get("short_descriptor") or ""]
        if not any(name and _same_text(given, name) for name in names):
            return {
                **answer,
                "result": False,
                "message": f"the display {given!r} does not match {display}: {concept.display!r}",
            }
    return {**answer, "result": True}


def validation_parameters(fhir_system: FhirSystem, answer: dict) -> dict:
    parameter = [{"name": "result", "valueBoolean": answer["result"]}]
    if "message" in answer:
        parameter.append({"name": "message", "valueString": answer["message"]})
    if answer.get("display"):
        parameter.append({"name": "display", "valueString": answer["display"]})
    if answer.get("code"):
        parameter.append({"name": "code", "valueCode": answer["code"]})
        parameter.append({"name": "system", "valueUri": fhir_system.url})
    return {"resourceType": "Parameters", "parameter": parameter}


def subsumes(request, params: dict) -> dict:
    """$subsumes: how codeA relates to codeB in the hierarchy in force today."""
    coding_a, coding_b = params.get("codingA") or {}, params.get("codingB") or {}
    url = params.get("system") or coding_a.get("system") or coding_b.get("system")
    code_a = params.get("codeA") or coding_a.get("code")
    code_b = params.get("codeB") or coding_b.get("code")
    given = {"system": url, "codeA": code_a, "codeB": code_b}
    if missing := [name for name, value in given.items() if not value]:
        raise serializers.ValidationError({key: ["required"] for key in missing})
    fhir_system = code_system(url)
    check_version(fhir_system, params.get("version"))
    a = read_concept(request, fhir_system, code_a, None)
    b = read_concept(request, fhir_system, code_b, None)
    if a.code == b.code:
        relation = "equivalent"
    elif a.code in _ancestors(fhir_system, b.code):
        relation = "subsumes"
    elif b.code in _ancestors(fhir_system, a.code):
        relation = "subsumed-by"
    else:
        relation = "not-subsumed"
    return {"resourceType": "Parameters", "parameter": [{"name": "outcome", "valueCode": relation}]}


def _ancestors(fhir_system: FhirSystem, code: str) -> set[str]:
    lineage = code_lineage(system=fhir_system.name, code=code)
    return {ancestor for ancestor, _content in lineage[1:]}
