"""The search screen: a box with suggestions, results with highlights, facets, more via cursor.

Queries are built by search.queries and run like the API runs them (search.api.execute);
this module only shapes the page.
"""

import contextlib
import functools
import re
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.licensing import unlicensed_systems
from codeledger.api import withheld_for
from codes.systems import SYSTEMS
from search.api import (
    ES_ERRORS,
    SearchThrottle,
    execute,
    index_match,
    readable_highlights,
    run_search,
)
from search.loaded import code_examples, loaded_systems, not_loaded_notice
from search.queries import BadCursor, build_suggest, encode_cursor, highlight_fields

PAGE_SIZE = 20
FILTERS = ("system", "chapter", "billable", "status")
SNIPPET_FIELDS = ("description", "lay_terms", "inclusion_terms", "notes", "short_title")
_MARK = re.compile(r"(</?mark>)")
_ID = re.compile(r"[A-Za-z][\w-]{0,60}")


def highlighted(fragment: str) -> str:
    """Escape everything in a highlight fragment except Elasticsearch's own <mark> tags."""
    parts = _MARK.split(fragment)
    return mark_safe("".join(part if _MARK.fullmatch(part) else escape(part) for part in parts))


def _filters(params) -> dict:
    filters = {}
    system = params.get("system")
    if system in SYSTEMS:
        filters["system"] = system
    if chapter := (params.get("chapter") or "").strip()[:300]:
        filters["chapter"] = chapter
    if params.get("billable") in ("true", "false"):
        filters["billable"] = params["billable"] == "true"
    if params.get("status") in ("active", "retired"):
        filters["status"] = params["status"]
    return filters


def _title(title: str, fragments: list[str]):
    """The title with its matches marked, when the highlight covers the title as written (the
    index holds an accent-folded copy; a folded or cut fragment is not shown for the title)."""
    if fragments and _MARK.sub("", fragments[0]) == title:
        return highlighted(fragments[0])
    return title


def _hit(hit, withheld) -> dict:
    source = hit.to_dict()
    marks = readable_highlights(hit, withheld)
    title = source.get("display_title") or source["title"]
    snippets, seen = [], {title.lower()}
    for field in SNIPPET_FIELDS:
        for fragment in marks.get(field, [])[:1]:
            plain = _MARK.sub("", fragment).lower()
            if plain not in seen:  # lay terms often repeat inclusion terms or the title
                seen.add(plain)
                snippets.append(highlighted(fragment))
    snippets = snippets[:2]
    return {
        "system": source["system"],
        "system_label": SYSTEMS[source["system"]].label if source["system"] in SYSTEMS else "",
        "code": source["code"],
        "title": _title(title, marks.get("title") or []),
        "billable": source["billable"],
        "status": source["status"],
        "chapter": source.get("chapter", ""),
        "snippets": snippets,
        "index_match": highlighted(match) if (match := index_match(marks)) else None,
    }


_RANGE = re.compile(r"\(([a-z0-9]{3}(?:\.[a-z0-9]+)?)-([a-z0-9]{3}(?:\.[a-z0-9]+)?)\)")


def chapter_label(value: str) -> str:
    """Chapters are indexed lowercased (a keyword normaliser): show "(I00-I99)" as written."""
    text = _RANGE.sub(lambda m: f"({m.group(1).upper()}-{m.group(2).upper()})", value)
    return text[:1].upper() + text[1:]


def _facet_label(name: str, value: str) -> str:
    if name == "billable":
        return {"true": "Billable", "false": "Not billable"}.get(value, value)
    if name == "system":
        return SYSTEMS[value].label if value in SYSTEMS else value
    if name == "chapter":
        return chapter_label(value)
    return value.capitalize()


def _facets(response, q: str, filters: dict) -> list[dict]:
    """Each facet's values as links that add (or, when chosen, remove) that filter."""
    chosen = {k: ("true" if v else "false") if k == "billable" else v for k, v in filters.items()}
    facets = []
    for name in FILTERS:
        values = []
        for bucket in getattr(response.aggregations, name):
            value = bucket.key_as_string if name == "billable" else bucket.key
            if value == "":
                continue  # codes without a chapter: nothing to name the link by
            selected = chosen.get(name) == value
            params = {**chosen, "q": q}
            if selected:
                params.pop(name)
            else:
                params[name] = value
            values.append(
                {
                    "value": value,
                    "label": _facet_label(name, value),
                    "count": bucket.doc_count,
                    "selected": selected,
                    "href": "?" + urlencode({k: v for k, v in params.items() if v}),
                }
            )
        facets.append({"name": name, "label": name.capitalize(), "values": values})
    return facets


def throttled(request) -> int | None:
    """Seconds to wait when this client has used up its searches (the search API's allowance,
    counted together with it), else None."""
    throttle = SearchThrottle()
    return None if throttle.allow_request(request, None) else throttle.wait()


def _rate_limit_headers(request, response):
    for header, value in getattr(request, "rate_limit", {}).items():
        response[header] = value
    return response


def _examples(request) -> list[str]:
    """Codes to show as examples: only of systems the index holds and the caller may read (a
    page that suggests "0DTJ4ZZ" where ICD-10-PCS is not loaded invites an empty answer)."""
    try:
        systems = loaded_systems()
    except ES_ERRORS:
        return []
    hidden = set(unlicensed_systems(request))
    return code_examples(name for name in systems if name not in hidden)


@require_GET
def search_page(request):
    q = (request.GET.get("q") or "").strip()[:200]
    filters = _filters(request.GET)
    cursor = request.GET.get("cursor") or None
    context = {"q": q, "filters": filters, "searched": bool(q or filters)}
    status = 200
    wait = throttled(request) if context["searched"] else None
    if wait is not None:
        context["error"] = (
            f"Too many searches from this address in a short time; try again in {wait} s."
        )
        response = render(request, "search/search.html", context, status=429)
        response["Retry-After"] = str(wait)
        patch_vary_headers(response, ["HX-Request"])
        return _rate_limit_headers(request, response)
    if context["searched"]:
        withheld = functools.cache(functools.partial(withheld_for, request))
        try:
            response, corrected_query = run_search(
                q=q,
                filters=filters,
                size=PAGE_SIZE,
                cursor=cursor,
                hidden=unlicensed_systems(request),
                highlight=highlight_fields(withheld(None)),
            )
        except BadCursor:
            context["error"] = "That link to more results has expired; search again."
            status = 400
        except ES_ERRORS:
            context["error"] = "Search is temporarily unavailable; please try again shortly."
            status = 503
        else:
            hits = [_hit(hit, withheld) for hit in response]
            # On an outage the results stand; only the explanation is missing.
            with contextlib.suppress(*ES_ERRORS):
                context["notice"] = (
                    None
                    if cursor
                    else not_loaded_notice(
                        q,
                        response.hits,
                        system=filters.get("system"),
                        hidden=unlicensed_systems(request),
                    )
                )
            next_cursor = (
                encode_cursor(list(response.hits[-1].meta.sort)) if len(hits) == PAGE_SIZE else None
            )
            base = {
                **{
                    k: ("true" if v else "false") if k == "billable" else v
                    for k, v in filters.items()
                },
                "q": q,
            }
            context.update(
                corrected_query=corrected_query,
                hits=hits,
                total=response.hits.total.value,
                facets=_facets(response, q, filters),
                more_href="?" + urlencode({**base, "cursor": next_cursor}) if next_cursor else None,
            )
    if not context["searched"]:
        context["examples"] = _examples(request)
    more = (
        bool(request.htmx)
        and not request.htmx.boosted
        and not request.htmx.history_restore_request
        and cursor
    )
    template = "search/search.html#more" if more else "search/search.html"
    response = render(request, template, context, status=200 if more else status)
    patch_vary_headers(response, ["HX-Request"])  # one URL, a page or a fragment
    return _rate_limit_headers(request, response)


@require_GET
def suggest(request):
    """Up to 10 codes whose code or title starts like the text typed (an htmx fragment)."""
    q = (request.GET.get("q") or "").strip()[:200]
    suggestions = []
    if q and (wait := throttled(request)) is not None:
        response = HttpResponse(status=429)  # htmx leaves the suggestions as they were
        response["Retry-After"] = str(wait)
        return _rate_limit_headers(request, response)
    if q:
        try:
            search = build_suggest(q=q, system=None, hidden=unlicensed_systems(request))
            suggestions = [
                {"system": hit.system, "code": hit.code, "title": hit.display_title}
                for hit in execute(search)
            ]
        except ES_ERRORS:
            suggestions = []
    # Option ids unique on the page: prefixed with the id of the list they go into (HX-Target).
    target = request.htmx.target if request.htmx else None
    list_id = target if target and _ID.fullmatch(target) else "suggestions"
    return render(
        request,
        "search/search.html#suggestions",
        {"suggestions": suggestions, "q": q, "list_id": list_id},
    )
