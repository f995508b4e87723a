"""ValueSet/$expand and ValueSet/$validate-code for the implicit value sets of a code system:
all its codes (`<canonical>?fhir_vs`) or a code and everything below it
(`<canonical>?fhir_vs=isa/E11`).

Pages come from ordered database queries (code order, over the (system, normalised) index), so
`offset` reaches every concept of the largest subtree: Elasticsearch's from/size stops at
10,000. A text `filter` goes through the search index, in relevance order (as /search ranks);
its pages past the index's window are walked with search_after. Every word of the filter must
be found, as in /search's main clause (its typo-forgiving fallback ranks, but admits nothing).

An expansion lists the codes in force and active on the day (today, or `date`).
"""

import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from django.db.models import Exists, OuterRef
from django.utils import timezone
from elasticsearch.dsl import Q
from rest_framework import serializers

from codeledger.domain import NotFound
from codes.models import CodeEntry, CodeVersion
from codes.selectors import code_as_of
from fhir.concepts import (
    PREFIX_HIERARCHIES,
    code_system,
    display_code,
    may_read,
    unreadable,
    validate_concept,
)
from fhir.systems import FhirSystem
from search.accents import strip_accents
from search.api import ES_ERRORS, execute, unavailable
from search.queries import TEXT_FIELDS, BadCursor, text_query, visible

DEFAULT_COUNT = 100
ES_WINDOW = 10_000  # index.max_result_window: from + size beyond it is refused
WALK_CHUNK = 1000
MAX_DEPTH = 10  # levels followed down a parent-linked hierarchy (codes.selectors.MAX_ANCESTORS)


@dataclass(frozen=True)
class ImplicitValueSet:
    url: str
    fhir_system: FhirSystem
    root: str | None  # isa/<root>: the root and every code below it; None: the whole system


def implicit_value_set(request, url: str) -> ImplicitValueSet:
    """The value set a URL names; 404 for one CodeLedger does not serve, 400 for a malformed
    `fhir_vs`."""
    try:
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    except ValueError:  # "http://[": not a URL at all
        query = {}
    base = url.split("?", 1)[0]
    if "?" not in url or list(query) != ["fhir_vs"] or len(query["fhir_vs"]) != 1:
        raise NotFound(
            f"CodeLedger serves no value set {url!r}: it serves the implicit value sets of its "
            "code systems, <system>?fhir_vs (all codes) or <system>?fhir_vs=isa/<code>"
        )
    fhir_system = code_system(base)
    if not may_read(request, fhir_system):
        raise unreadable(fhir_system)
    selector = query["fhir_vs"][0]
    if not selector:
        return ImplicitValueSet(url, fhir_system, None)
    if not selector.startswith("isa/") or not selector[4:]:
        raise serializers.ValidationError(
            {"url": [f"fhir_vs={selector!r}: CodeLedger takes fhir_vs (all) or fhir_vs=isa/<code>"]}
        )
    root = display_code(fhir_system, selector[4:])
    if not CodeEntry.objects.filter(system=fhir_system.name, code=root).exists():
        raise NotFound(f"no code {root} in {fhir_system.system.label}")
    return ImplicitValueSet(url, fhir_system, root)


def members(value_set: ImplicitValueSet):
    """The rows of the value set's codes (any day; `active_on` narrows)."""
    rows = CodeEntry.objects.filter(system=value_set.fhir_system.name)
    if value_set.root is None:
        return rows
    if value_set.fhir_system.name in PREFIX_HIERARCHIES:
        prefix = value_set.root.replace(".", "").lower()
        return rows.filter(normalised__gte=prefix, normalised__lt=prefix + "~")
    return rows.filter(code__in=descendants(value_set.fhir_system, value_set.root))


def descendants(fhir_system: FhirSystem, root: str) -> list[str]:
    """The root and the codes below it by `parent`, one query per level."""
    found, level = [root], [root]
    for _depth in range(MAX_DEPTH):
        level = list(
            CodeEntry.objects.filter(system=fhir_system.name, parent__in=level)
            .exclude(code__in=found)
            .values_list("code", flat=True)
        )
        if not level:
            break
        found += level
    return found


def _changed_after(day: date):
    """Rows with a version that comes into force after `day`."""
    return Exists(
        CodeVersion.objects.filter(
            system=OuterRef("system"), code=OuterRef("code"), effective_from__gt=day
        )
    )


def _registered_by(day: date):
    return Exists(
        CodeVersion.objects.filter(
            system=OuterRef("system"), code=OuterRef("code"), version=1, effective_from__lte=day
        )
    )


def _concept(fhir_system: FhirSystem, code: str, display: str, billable: bool) -> dict:
    entry = {"system": fhir_system.url, "code": code, "display": display}
    if not billable:
        entry["abstract"] = True  # a header: not selectable
    return entry


def _page_today(value_set: ImplicitValueSet, offset: int, count: int) -> tuple[int, list]:
    rows = members(value_set).filter(in_force=True, status="active")
    total = rows.count()
    page = rows.order_by("normalised").values_list("code", "official_descriptor", "billable")
    return total, [_concept(value_set.fhir_system, *row) for row in page[offset : offset + count]]


def _page_on(value_set: ImplicitValueSet, day: date, offset: int, count: int) -> tuple[int, list]:
    """The page as in force on `day`: rows that no change between `day` and today touched are
    as they were then; the few that one touched are read from their streams."""
    fhir_system = value_set.fhir_system
    rows = members(value_set).filter(_registered_by(day))
    # A row holds today's state: a version in force after the earlier of the two days makes
    # the code's state on `day` differ from it (or might: those few are folded).
    moved = _changed_after(min(day, timezone.localdate()))
    settled = rows.exclude(moved).filter(status="active")
    changed = []
    for code in rows.filter(moved).values_list("code", flat=True):
        try:
            view = code_as_of(system=fhir_system.name, code=code, as_of=day)
        except NotFound:
            continue
        content = view.state.content
        if (content.get("status") or "active") == "active":
            normalised = code.replace(".", "").lower()
            changed.append(
                (normalised, code, content["official_descriptor"], bool(content.get("billable")))
            )
    total = settled.count() + len(changed)
    ordered = settled.order_by("normalised").values_list(
        "normalised", "code", "official_descriptor", "billable"
    )
    if changed:
        # Each changed code may fall before the page: read enough settled rows to merge.
        merged = sorted([*ordered[: offset + count], *changed])
        page = merged[offset : offset + count]
    else:
        page = list(ordered[offset : offset + count])
    return total, [_concept(fhir_system, *row[1:]) for row in page]


def _page_filtered(request, value_set: ImplicitValueSet, text: str, offset: int, count: int):
    fhir_system = value_set.fhir_system
    search = visible([]).filter("term", system=fhir_system.name).filter("term", status="active")
    if value_set.root is not None:
        if fhir_system.name in PREFIX_HIERARCHIES:
            prefix = value_set.root.replace(".", "").lower()
            search = search.filter(Q("prefix", normalised=prefix))
        else:
            search = search.filter("terms", code=descendants(fhir_system, value_set.root))
    # Every word must be found (in the title, short title, lay terms, notes or index terms):
    # an expansion lists the codes the filter names, where /search also ranks near misses.
    every_word = Q(
        "multi_match",
        query=strip_accents(text),
        fields=TEXT_FIELDS,
        type="cross_fields",
        operator="and",
    )
    search = (
        search.filter(every_word)
        .query(text_query(text))
        .sort({"_score": "desc"}, {"title_length": "asc"}, {"code": "asc"})
        .source(["code", "display_title", "billable"])
        .extra(track_total_hits=True)
    )
    try:
        if offset + count <= ES_WINDOW:
            response = execute(search.extra(from_=offset, size=count))
            hits = list(response)
        else:
            response, hits = _walk(search, offset, count)
    except BadCursor:  # Elasticsearch refused the query as malformed: the filter's fault
        raise serializers.ValidationError(
            {"filter": ["the search index cannot search for this text"]}
        ) from None
    except ES_ERRORS as error:
        raise unavailable(error) from None
    contains = [_concept(fhir_system, h.code, h.display_title, h.billable) for h in hits]
    return response.hits.total.value, contains


def _walk(search, offset: int, count: int):
    """Hits offset .. offset+count, past the index's window: search_after, chunk by chunk
    (the sort ends on the code, unique within a system, so no hit is seen twice)."""
    wanted, seen, after = [], 0, None
    while True:
        step = search.extra(size=WALK_CHUNK)
        if after is not None:
            step = step.extra(search_after=after)
        response = execute(step)
        if offset >= response.hits.total.value:
            return response, []  # nothing to walk to
        hits = list(response)
        for hit in hits:
            if offset <= seen < offset + count:
                wanted.append(hit)
            seen += 1
        if len(hits) < WALK_CHUNK or len(wanted) == count:
            return response, wanted
        after = list(hits[-1].meta.sort)


def expand(request, params: dict) -> dict:
    """$expand: one page of the value set, as a ValueSet with its expansion."""
    if "url" not in params:
        raise serializers.ValidationError({"url": ["required: the value set to expand"]})
    value_set = implicit_value_set(request, params["url"])
    offset = params.get("offset", 0)
    count = params.get("count", DEFAULT_COUNT)
    day = params.get("date")
    today = timezone.localdate()
    if params.get("filter"):
        total, contains = _page_filtered(request, value_set, params["filter"], offset, count)
        if day is not None and day != today:
            contains = [c for c in contains if _in_force_on(value_set.fhir_system, c, day)]
    elif day is None or day == today:
        total, contains = _page_today(value_set, offset, count)
    else:
        total, contains = _page_on(value_set, day, offset, count)
    used = [{"name": "offset", "valueInteger": offset}, {"name": "count", "valueInteger": count}]
    if params.get("filter"):
        used.append({"name": "filter", "valueString": params["filter"]})
    if day is not None:
        used.append({"name": "date", "valueDateTime": day.isoformat()})
    expansion = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
        "total": total,
        "offset": offset,
        "parameter": used,
    }
    if contains:
        expansion["contains"] = contains
    label = value_set.fhir_system.system.label
    return {
        "resourceType": "ValueSet",
        "url": value_set.url,
        "status": "active",
        "name": "Implicit",
        "title": f"{label}: {value_set.root} and the codes below it"
        if value_set.root
        else f"All {label} codes",
        "expansion": expansion,
    }


def _in_force_on(fhir_system: FhirSystem, concept: dict, day: date) -> bool:
    try:
        view = code_as_of(system=fhir_system.name, code=concept["code"], as_of=day)
    except NotFound:
        return False
    concept["display"] = view.state.content["official_descriptor"]
    return (view.state.content.get("status") or "active") == "active"


def validate_in_value_set(request, params: dict) -> tuple[FhirSystem, dict]:
    """ValueSet/$validate-code: the code is in the value set, and valid (validate_concept)."""
    coding = params.get("coding") or {}
    code = params.get("code") or coding.get("code")
    if "url" not in params or not code:
        missing = [name for name in ("url", "code") if name not in params and not coding]
        raise serializers.ValidationError({key: ["required"] for key in missing or ["code"]})
    value_set = implicit_value_set(request, params["url"])
    fhir_system = value_set.fhir_system
    system = params.get("system") or coding.get("system")
    if system and system != fhir_system.url:
        return fhir_system, {
            "result": False,
            "message": f"the value set holds codes of {fhir_system.url}, not {system}",
        }
    answer = validate_concept(request, fhir_system, code, params)
    outside = (
        answer.get("code")
        and value_set.root is not None
        and not members(value_set).filter(code=answer["code"]).exists()
    )
    if outside:
        return fhir_system, {
            **answer,
            "result": False,
            "message": f"{answer['code']} is not in the value set {value_set.url}: "
            f"it is not {value_set.root} or below it",
        }
    return fhir_system, answer
