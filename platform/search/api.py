"""Search, suggest and lookup for API consumers, read from the Elasticsearch index."""

import functools
import logging
import re
import time
from collections.abc import Callable

import orjson
from django.conf import settings
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema, inline_serializer
from elasticsearch import ApiError, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from accounts.licensing import request_api_key, unlicensed_systems
from codeledger.api import ReadAccess, StrictSerializer, SystemField, withheld_for
from codeledger.elastic import elasticsearch_client
from codeledger.problems import ProblemError
from codeledger.throttling import RateLimitHeaders, WindowThrottle
from codes.systems import SYSTEMS
from events.models import ProjectorState
from events.store import head_position
from search.documents import alias
from search.loaded import NOTICE_NOT_LOADED, not_loaded_notice
from search.queries import (
    HIGHLIGHT_SOURCES,
    INDEX_HIGHLIGHTS,
    BadCursor,
    build_search,
    build_suggest,
    corrected,
    encode_cursor,
    highlight_fields,
    lookup_ids,
    respelled,
    typing_a_code,
)

ES_ERRORS = (ESConnectionError, TransportError, ApiError)
log = logging.getLogger(__name__)


def execute(search):
    """Run a search; once more if the index behind the alias vanished mid-request (a rebuild
    swapped the alias and removed the old index between resolving and searching: 404, or 503
    "all shards failed"). A 400 from Elasticsearch is the request's fault (e.g. a forged cursor
    whose values do not fit the sort): BadRequest, not "unavailable"."""
    try:
        return search.using(elasticsearch_client()).execute()
    except ApiError as error:
        if error.meta.status == 400:
            raise BadCursor("the cursor does not fit this search") from None
        if error.meta.status not in (404, 503):
            raise
        log.info("search retried after %s (%s)", error.meta.status, error)
        return search.using(elasticsearch_client()).execute()


class FastJSONRenderer(JSONRenderer):
    """JSON written by orjson (a dependency: events.canonical), not the json module: a page of
    20 hits in 0.013 ms instead of 0.18 ms (measured in-process). The same JSON DRF writes for
    these answers (compact, UTF-8 as is); what orjson cannot write goes through DRF's encoder."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=JSONEncoder().default)


# JSON first (what API clients ask for), and the browsable API for a person's browser.
RENDERERS = [FastJSONRenderer, BrowsableAPIRenderer]


class SearchThrottle(WindowThrottle):
    """Per API key, per signed-in user, or (a lower rate) per client address."""

    def scope(self, request) -> tuple[str, str]:
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        key = request_api_key(request)  # ReadAccess has refused requests with a bad one
        if key is not None:
            return f"search_key:{key.prefix}", rates["search_key"]
        if request.user and request.user.is_authenticated:
            return f"search_user:{request.user.pk}", rates["search_user"]
        return f"search_anon:{self.get_ident(request)}", rates["search_anon"]


def indexed_position() -> int:
    state = ProjectorState.objects.filter(name="search").values_list("checkpoint", flat=True)
    return state.first() or 0


def wait_for_position(minimum: int) -> int:
    """Read your writes: wait (briefly) until the index reflects event position `minimum`."""
    head = head_position()
    if minimum > head:
        raise serializers.ValidationError(
            {"min_position": [f"no event has position {minimum} yet (the head is {head})"]}
        )
    deadline = time.monotonic() + settings.SEARCH_MIN_POSITION_WAIT
    while True:
        position = indexed_position()
        if position >= minimum:
            return position  # searchable: the projector refreshes before its checkpoint moves
        if time.monotonic() >= deadline:
            raise ProblemError(
                503,
                f"the search index has reached position {position}, not yet {minimum}; "
                "retry shortly",
                slug="index-behind",
                headers={"Retry-After": "1"},
                position=position,
            )
        time.sleep(0.05)


def unavailable(error) -> ProblemError:
    log.warning("search unavailable: %s: %s", type(error).__name__, error)
    return ProblemError(
        503,
        "search is temporarily unavailable; please retry shortly",
        slug="search-unavailable",
        headers={"Retry-After": "5"},
        cause=type(error).__name__,
    )


class QueryParams(StrictSerializer):
    """Query parameters whose fields are built once per class, not per request. DRF deep-copies
    a serializer's declared fields for every instance: for SearchParams that was 70% of its
    0.36 ms validation, on every search (measured in-process). The fields are only read while
    validating (what a request sends, and its errors, stay with its own instance), and these
    serializers take no context, so one set of fields serves every request and thread."""

    @cached_property
    def fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().fields
            type(self)._built_fields = built
        return built


class SearchParams(QueryParams):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    system = SystemField(required=False)
    chapter = serializers.CharField(required=False, max_length=300)
    billable = serializers.BooleanField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=["active", "retired"], required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    cursor = serializers.CharField(required=False, max_length=1000)
    min_position = serializers.IntegerField(required=False, min_value=0)


HIT = inline_serializer(
    "SearchHit",
    {
        "system": serializers.CharField(),
        "code": serializers.CharField(),
        "display": serializers.CharField(),
        "title": serializers.CharField(),
        "billable": serializers.BooleanField(),
        "status": serializers.CharField(),
        "chapter": serializers.CharField(),
        "score": serializers.FloatField(),
        "highlights": serializers.DictField(),
        "index_match": serializers.CharField(
            allow_null=True,
            help_text="the Alphabetic Index entry the query matched, <mark>ed "
            '("Pneumonia, <mark>aspiration</mark>"), or null',
        ),
    },
)


def readable_highlights(hit, withheld: Callable[[str], frozenset[str]]) -> dict:
    """The hit's highlights from fields the caller may read in the hit's system."""
    highlights = hit.meta.highlight.to_dict() if "highlight" in hit.meta else {}
    hidden = withheld(hit.system)
    return {
        name: fragments
        for name, fragments in highlights.items()
        if HIGHLIGHT_SOURCES.get(name) not in hidden
    }


def index_match(highlights: dict) -> str | None:
    """Why a code matched in the Alphabetic Index: of its main terms, else of its entries, the
    one whose text the query marks most ("pneumonia aspiration": "Pneumonia, aspiration", not
    "Aspiration, bronchitis"), then one that starts with the query (the term it names: "Asthma,
    asthmatic (bronchial)", not "IgE asthma"), the shortest of those (the highlight of the
    whole entry)."""
    for field in INDEX_HIGHLIGHTS:
        if fragments := highlights.get(field):
            return min(
                fragments,
                key=lambda text: (-text.count("<mark>"), not text.startswith("<mark>"), len(text)),
            )
    return None


def _hit(hit, withheld) -> dict:
    source = hit.to_dict()
    marks = readable_highlights(hit, withheld)
    highlights = {k: v for k, v in marks.items() if k not in INDEX_HIGHLIGHTS}
    return {
        "system": source["system"],
        "code": source["code"],
        "display": source["code"],
        "title": source.get("display_title") or source["title"],
        "billable": source["billable"],
        "status": source["status"],
        "chapter": source.get("chapter", ""),
        "score": hit.meta.score or 0.0,
        "highlights": highlights,
        "index_match": index_match(marks),
    }


class SearchView(RateLimitHeaders, APIView):
    renderer_classes = RENDERERS
    permission_classes = [ReadAccess]
    throttle_classes = [SearchThrottle]
    problem_statuses = (503,)  # Elasticsearch unavailable, or behind min_position

    @extend_schema(
        summary="Search codes: code-like queries first, then multi-field text with typo "
        "tolerance; facets, highlights and a search_after cursor",
        parameters=[SearchParams],
        responses=inline_serializer(
            "SearchResults",
            {
                "hits": serializers.ListField(child=HIT),
                "total": serializers.IntegerField(),
                "facets": serializers.DictField(),
                "next_cursor": serializers.CharField(allow_null=True),
                "position": serializers.IntegerField(),
                "corrected_query": serializers.CharField(
                    allow_null=True,
                    help_text="the query searched instead of q when a word of q is in no "
                    "title, lay term or index term and a near one is (spelling), else null",
                ),
                "notice": inline_serializer(
                    "SearchNotice",
                    {
                        "kind": serializers.ChoiceField(choices=[NOTICE_NOT_LOADED]),
                        "systems": serializers.ListField(child=serializers.CharField()),
                        "message": serializers.CharField(),
                    },
                    allow_null=True,
                    help_text="why a code-like query may find nothing: its code format is "
                    "that of systems the index does not hold (systems_not_loaded, e.g. 0DTJ4ZZ "
                    "when ICD-10-PCS is not loaded), else null",
                ),
            },
        ),
    )
    def get(self, request):
        params = SearchParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        return Response(
            search_results(
                params.validated_data,
                unlicensed_systems(request),
                withheld=functools.partial(withheld_for, request),
            )
        )


def nothing_withheld(system: str | None = None) -> frozenset[str]:
    return frozenset()


def search_results(
    data: dict,
    hidden: list[str],
    withheld: Callable[[str | None], frozenset[str]] = nothing_withheld,
) -> dict:
    """The answer to a search with validated parameters (SearchParams), leaving out the
    systems in `hidden` and highlights of the content fields `withheld(system)` names (with no
    system: those withheld in every system): the index position first (never claim more than
    was read), then hits, facets and the next cursor."""
    withheld = functools.cache(withheld)
    try:
        position = (
            wait_for_position(data["min_position"])
            if "min_position" in data
            else indexed_position()
        )
    except ES_ERRORS as error:
        raise unavailable(error) from None
    filters = {k: data[k] for k in ("system", "chapter", "status") if data.get(k)}
    if data.get("billable") is not None:
        filters["billable"] = data["billable"]
    try:
        response, corrected_query = run_search(
            q=data["q"],
            filters=filters,
            size=data["size"],
            cursor=data.get("cursor"),
            hidden=hidden,
            highlight=highlight_fields(withheld(None)),
        )
        notice = (  # said on the first page (a later page need not hold the code)
            None
            if data.get("cursor")
            else not_loaded_notice(
                data["q"], response.hits, system=data.get("system"), hidden=hidden
            )
        )
    except BadCursor as error:
        raise serializers.ValidationError({"cursor": [str(error)]}) from None
    except ES_ERRORS as error:
        raise unavailable(error) from None
    hits = [_hit(hit, withheld) for hit in response]
    facets = {
        name: [
            {"value": b.key_as_string if name == "billable" else b.key, "count": b.doc_count}
            for b in getattr(response.aggregations, name)
        ]
        for name in ("system", "chapter", "billable", "status")
    }
    next_cursor = (
        encode_cursor(list(response.hits[-1].meta.sort)) if len(hits) == data["size"] else None
    )
    return {
        "hits": hits,
        "total": response.hits.total.value,
        "facets": facets,
        "next_cursor": next_cursor,
        "position": position,
        "corrected_query": corrected_query,
        "notice": notice,
    }


def run_search(*, q: str, **kwargs):
    """(response, corrected query or None): the search for `q`, or, when a word of `q` is in
    no indexed title, lay term or index term and the suggester knows a near one, the search
    for the corrected query, if that finds anything (else the first answer stands)."""
    response = execute(build_search(q=q, **kwargs))
    better = corrected(q, response) if q else None
    if better:
        second = execute(build_search(q=better, **kwargs))
        if second.hits.total.value:
            return second, better
    if q and not response.hits.total.value and not typing_a_code(q):
        # Nothing, and nothing the suggester could correct: two edits anywhere in a word.
        rescued = execute(build_search(q=q, rescue=True, **kwargs))
        if rescued.hits.total.value:
            # Taken for the words of the first hit's title (official text, shown to everyone).
            title = rescued.hits[0].to_dict().get("title", "")
            return rescued, respelled(q, re.findall(r"[^\W\d_]+", title))
    return response, None


class SuggestParams(QueryParams):
    q = serializers.CharField(max_length=200)
    system = SystemField(required=False)


class SuggestView(RateLimitHeaders, APIView):
    renderer_classes = RENDERERS
    permission_classes = [ReadAccess]
    throttle_classes = [SearchThrottle]
    problem_statuses = (503,)  # Elasticsearch unavailable, or behind min_position

    @extend_schema(
        summary="Up to 10 suggestions for a prefix of a code or of title words",
        parameters=[SuggestParams],
        responses=inline_serializer(
            "Suggestions", {"suggestions": serializers.ListField(child=serializers.DictField())}
        ),
    )
    def get(self, request):
        params = SuggestParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return Response(suggest_results(data["q"], data.get("system"), unlicensed_systems(request)))


def suggest_results(q: str, system: str | None, hidden: list[str]) -> dict:
    """Up to 10 suggestions for the prefix `q`, leaving out the systems in `hidden`."""
    try:
        response = execute(build_suggest(q=q, system=system, hidden=hidden))
    except ES_ERRORS as error:
        raise unavailable(error) from None
    return {
        "suggestions": [
            {
                "system": hit.system,
                "code": hit.code,
                "title": hit.display_title,
                "billable": hit.billable,
                "status": hit.status,
            }
            for hit in response
        ]
    }


class LookupParams(QueryParams):
    system = SystemField()
    code = serializers.CharField(required=False, max_length=20)
    codes = serializers.CharField(
        required=False, max_length=3000, help_text="comma-separated, up to 100"
    )

    def validate(self, data):
        raw = [data["code"]] if data.get("code") else []
        raw += [c for c in (data.get("codes") or "").split(",") if c.strip()]
        if not raw:
            raise serializers.ValidationError({"code": ["give code= or codes="]})
        if len(raw) > 100:
            raise serializers.ValidationError({"codes": [f"{len(raw)} codes; at most 100"]})
        system = SYSTEMS[data["system"]]
        from django.core.exceptions import ValidationError

        codes, errors = [], []
        for code in raw:
            try:
                codes.append(system.display(code))
            except ValidationError as error:
                errors.append(error.messages[0])
        if errors:
            raise serializers.ValidationError({"codes": errors})
        data["list"] = codes
        return data


class LookupView(RateLimitHeaders, APIView):
    renderer_classes = RENDERERS
    permission_classes = [ReadAccess]
    throttle_classes = [SearchThrottle]
    problem_statuses = (503,)  # Elasticsearch unavailable, or behind min_position

    @extend_schema(
        summary="Look up one code or up to 100: exists, active, billable, title",
        parameters=[LookupParams],
        responses=inline_serializer(
            "Lookup",
            {
                "results": serializers.ListField(child=serializers.DictField()),
                "position": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request):
        params = LookupParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        system, codes = params.validated_data["system"], params.validated_data["list"]
        position = indexed_position()  # before reading: never claim more than we read
        try:
            found = elasticsearch_client().mget(index=alias(), ids=lookup_ids(system, codes))
        except ES_ERRORS as error:
            raise unavailable(error) from None
        results = []
        licensed = system in unlicensed_systems(request)  # the code exists; its title is licensed
        for code, doc in zip(codes, found["docs"], strict=True):
            source = doc.get("_source") if doc.get("found") else None
            if source and source.get("in_force") is False:
                source = None  # registered, but not in force before its date
            results.append(
                {
                    "system": system,
                    "code": code,
                    "found": source is not None,
                    "valid": bool(source) and source["status"] == "active",
                    "billable": bool(source) and source["billable"],
                    "status": source["status"] if source else None,
                    "title": source.get("display_title") if source and not licensed else None,
                    "licensed": licensed,
                }
            )
        return Response({"results": results, "position": position})
