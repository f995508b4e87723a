"""Search, suggest and lookup queries over the code index (elasticsearch.dsl).

User text is only ever passed as query *text* (match, term, prefix), never as query syntax.
"""

import base64
import json
import re

from elasticsearch.dsl import A, Q, Search

from search.documents import alias, document_id
from search.folding import fold

# Looks like a code of some system: I21.4, i214, I21, 0DTJ4ZZ, E0114, 93017.
CODE_LIKE = re.compile(
    r"^(?:(?:[A-Za-z]\d[0-9A-Za-z]|[Qq][Aa]0)(?:\.?[0-9A-Za-z]{0,4})?|[0-9A-Za-z]{7}|"
    r"[A-Za-z]\d{4}|\d{4}[0-9FTUftu])$"
)
TEXT_FIELDS = [
    "title^6",
    "short_title^5",
    "lay_terms^4",
    "inclusion_terms^3",
    "notes^1.5",
    "description^1",
    "chapter.text^0.5",
]
FACETS = {"system": "system", "chapter": "chapter", "billable": "billable", "status": "status"}
SORT = [
    {"_score": "desc"},
    {"title_length": "asc"},
    {"billable": "desc"},
    {"code": "asc"},
    {"system": "asc"},
]


class BadCursor(ValueError):
    pass


def encode_cursor(sort_values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort_values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this API handed out") from None
    if (
        not isinstance(values, list)
        or len(values) != len(SORT)
        or not all(isinstance(v, int | float | str | bool) for v in values)
    ):
        raise BadCursor("the cursor is not one this API handed out")
    return values


def normalised_code(query: str) -> str:
    return query.replace(".", "").replace(" ", "").lower()


def text_query(query: str):
    """All terms preferred, any term as a fallback, typos forgiven on longer words."""
    folded = fold(query)
    return Q(
        "bool",
        should=[
            Q(
                "multi_match",
                query=folded,
                fields=TEXT_FIELDS,
                type="cross_fields",
                operator="and",
                boost=4,
            ),
            Q(
                "multi_match",
                query=folded,
                fields=["title.exact^3", "short_title.exact^2", "lay_terms.exact^2"],
                type="phrase",
                boost=3,
            ),
            Q(
                "multi_match",
                query=folded,
                fields=TEXT_FIELDS,
                type="best_fields",
                fuzziness="AUTO:4,7",
                prefix_length=1,
                operator="or",
                minimum_should_match="2<75%",
            ),
        ],
        minimum_should_match=1,
    )


def code_query(query: str):
    """The exact code first, then its children (prefix), then text matches."""
    code = normalised_code(query)
    return Q(
        "bool",
        should=[
            Q("term", normalised={"value": code, "boost": 100}),
            Q("prefix", normalised={"value": code, "boost": 20}),
            text_query(query),
        ],
        minimum_should_match=1,
    )


def build_search(*, q: str, filters: dict, size: int, cursor: str | None) -> Search:
    search = Search(index=alias()).exclude("term", in_force=False)
    if q:
        search = search.query(code_query(q) if CODE_LIKE.match(q.strip()) else text_query(q))
    for field, value in filters.items():
        search = search.filter("term", **{field: value})
    for name, field in FACETS.items():
        search.aggs.bucket(name, A("terms", field=field, size=20))
    search = search.sort(*SORT).extra(size=size, track_total_hits=True)
    search = search.highlight(
        "title",
        "short_title",
        "lay_terms",
        "inclusion_terms",
        "notes",
        "description",
        fragment_size=150,
        number_of_fragments=2,
        pre_tags=["<mark>"],
        post_tags=["</mark>"],
    )
    if cursor:
        search = search.extra(search_after=decode_cursor(cursor))
    return search


def build_suggest(*, q: str, system: str | None, size: int = 10) -> Search:
    folded = fold(q.strip())
    search = (
        Search(index=alias())
        .exclude("term", in_force=False)
        .query(
            Q(
                "bool",
                should=[
                    Q("prefix", normalised={"value": normalised_code(folded), "boost": 10}),
                    Q("match_phrase_prefix", title={"query": folded, "max_expansions": 50}),
                    Q("match_bool_prefix", title={"query": folded}),
                ],
                minimum_should_match=1,
            )
        )
    )
    if system:
        search = search.filter("term", system=system)
    return (
        search.sort(*SORT)
        .extra(size=size)
        .source(["system", "code", "display_title", "billable", "status"])
    )


def lookup_ids(system: str, codes: list[str]) -> list[str]:
    return [document_id(system, code) for code in codes]
