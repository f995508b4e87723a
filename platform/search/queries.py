"""Search, suggest and lookup queries over the code index (elasticsearch.dsl).

User text is only ever passed as query *text* (match, term, prefix), never as query syntax.
"""

import base64
import difflib
import json
import math
import re
from collections.abc import Sequence

from elasticsearch.dsl import A, Q, Search

from search.accents import strip_accents
from search.documents import WORD_START_MAX, alias, document_id

# Looks like a code of some system: I21.4, i214, I21, 0DTJ4ZZ, E0114, 93017.
CODE_LIKE = re.compile(
    r"^(?:(?:[A-Za-z]\d[0-9A-Za-z]|[Qq][Aa]0)(?:\.?[0-9A-Za-z]{0,4})?|[0-9A-Za-z]{7}|"
    r"[A-Za-z]\d{4}|\d{4}[0-9FTUftu])$"
)
# A code typed with a space where its dot goes ("z79 4", "I21 .4", "S72 001A"): two short parts.
SPACED_CODE = re.compile(r"^[0-9A-Za-z]{3,4}\s+\.?[0-9A-Za-z]{1,4}$")


def looks_like_code(query: str) -> bool:
    query = query.strip()
    if SPACED_CODE.match(query):
        query = "".join(query.split())
    return bool(CODE_LIKE.match(query))


TEXT_FIELDS = [
    "title^6",
    "short_title^5",
    "lay_terms^5",
    "inclusion_terms^3",
    "notes^1.5",
    "description^1",
    "chapter.text^0.5",
    "index_main^3",
    "index_terms^2",
]
# Typo tolerance on the fields people name a condition by: fuzzy expansion over notes and
# descriptions costs much time for little (measured with bench/relevance.py and bench/search.py).
# On the unstemmed twins: a typo is made in the word as written, and the stemmer leaves a
# misspelt word whole, so "hemorroids" is one edit from "hemorrhoids" but two from the stem
# "hemorrhoid" the stemmed field holds.
FUZZY_FIELDS = [
    "title.exact^6",
    "short_title.exact^5",
    "lay_terms.exact^5",
    "inclusion_terms.exact^3",
]
# One edit from 4 letters, two from 12: most typos are one edit, and two-edit automata on every
# word of a long query were most of its time.
FUZZINESS = "AUTO:4,12"
# Words written together are looked up for short queries only: in a long one, joined pairs of
# common words ("initialencounter", "ofthe") are noise (bench/relevance.py).
JOINED_MAX_WORDS = 3
JOINED_FIELDS = ["title.joined^6", "lay_terms.joined^5", "inclusion_terms.joined^3"]
WHOLE_FIELDS = {"lay_terms.whole": 40, "title.whole": 30}
FUZZY_HIGHLIGHT_MAX_WORDS = 1
# The highlighted fields and the content field (codes.content) each one's text comes from: a
# highlight shows a fragment of that field, so only callers who may read it get one.
HIGHLIGHT_SOURCES = {
    "title": "official_descriptor",
    "short_title": "short_descriptor",
    "lay_terms": "lay_terms",
    "inclusion_terms": "notes",
    "notes": "notes",
    "description": "common_description",
}
# The Alphabetic Index (official, public text, never withheld): highlighted whole, to say why a
# code matched ("Index: Pneumonia, aspiration").
INDEX_SOURCE = "alphabetic_index"
INDEX_HIGHLIGHTS = ("index_main", "index_terms")
HIGHLIGHT_SOURCES.update(dict.fromkeys(INDEX_HIGHLIGHTS, INDEX_SOURCE))
HIGHLIGHT_FIELDS = list(HIGHLIGHT_SOURCES)
# The Alphabetic Index, the way a coder looks a term up, scored as the best of four constant
# scores (a dis_max: one code is not raised by counting the same finding twice), above what the
# text of titles and notes gives (a title that is the whole query is worth 30 times its idf,
# about 11 over the full import: at 150 "asthma" still put the category J45 above J45.909):
# - the query names a main term, whole ("pneumonia", "hiccups" for "Hiccup, hiccough"): that
#   term's own code, the default, first (INDEX_NAMED_BOOST);
# - it names the main term of one of the code's entries: the codes of that main term's
#   subterms next (INDEX_HEAD_BOOST), above
# - every word in a main term with its non-essential modifiers ("sugar diabetes" is "Diabetes,
#   diabetic (mellitus) (sugar)"; "pneumonia" is in "Pneumocystis carinii pneumonia", B59:
#   summed with the rest, this used to put B59 second for "pneumonia", above the subterms'
#   codes) (INDEX_MAIN_BOOST), then
# - every word in any entry of the code ("pneumonia aspiration") (INDEX_TERMS_BOOST).
# BM25 alone on "pneumonia" put "Typhoid pneumonia" above "Pneumonia, unspecified organism".
# The first two are well above what text can add (a title holding the query word, its phrase
# and its words written together gave "Transitory neonatal hyperthyroidism", P72.1, about 600
# more than E05.90, whose title does not say "hyperthyroidism": at 1000 and 500 it came first).
INDEX_NAMED_BOOST, INDEX_HEAD_BOOST, INDEX_MAIN_BOOST, INDEX_TERMS_BOOST = 4000, 1000, 400, 40
# Spelling: words of the query absent from the indexed vocabulary (titles, lay terms, index
# terms, stemmed) are corrected to the nearest word that is there (term suggester).
SPELLING = "spelling"
WORDS_MATCHED = "words"
CODE_MATCHED = "code"
SPELLING_MIN_WORD = 4


def _constant(query: Q, boost: float) -> Q:
    return Q("constant_score", filter=query, boost=boost)


def highlight_fields(withheld) -> list[str]:
    """The highlighted fields whose text comes from none of the `withheld` content fields."""
    return [name for name, source in HIGHLIGHT_SOURCES.items() if source not in withheld]


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


# Elasticsearch's sort values: longs, finite doubles, booleans and keywords.
LONG = range(-(2**63), 2**63)
MAX_CURSOR_LENGTH = 1000


def _sort_value(value) -> bool:
    """A value Elasticsearch could have put in a sort: anything else (1e999 reads as infinity,
    a number beyond a long) fails before the query is sent, where it looked like an outage."""
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return value in LONG
    return isinstance(value, float) and math.isfinite(value)


def decode_cursor(cursor: str) -> list:
    refused = BadCursor("the cursor is not one this API handed out")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise refused
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise refused from None
    if (
        not isinstance(values, list)
        or len(values) != len(SORT)
        or not all(map(_sort_value, values))
    ):
        raise refused
    return values


def typing_a_code(query: str) -> bool:
    """Code-like with a digit: a word of seven letters ("lukimia", "chronic") has the shape of
    an ICD-10-PCS code, but is searched as words too, and may be misspelt."""
    return looks_like_code(query) and any(c.isdigit() for c in query)


def normalised_code(query: str) -> str:
    return re.sub(r"[.\s]", "", query).lower()


def term_name_forms(folded: str) -> list[str]:
    """The query as the name of a main term: as typed (lowercased, spaces collapsed), and
    without a plural's "s" ("hiccups" names "Hiccup, hiccough")."""
    name = " ".join(folded.lower().split())
    forms = [name]
    if len(name) > 4 and name.endswith("s") and not name.endswith("ss"):
        forms.append(name[:-1])
    return forms


def index_query(folded: str) -> Q:
    """The Alphabetic Index's evidence for the query: the best of four constant scores
    (INDEX_NAMED_BOOST and the rest, above)."""
    names = term_name_forms(folded)
    return Q(
        "dis_max",
        queries=[
            _constant(Q("terms", index_named=names), INDEX_NAMED_BOOST),
            _constant(Q("terms", index_heads=names), INDEX_HEAD_BOOST),
            *(
                _constant(Q("match", **{field: {"query": folded, "operator": "and"}}), boost)
                for field, boost in (
                    ("index_main", INDEX_MAIN_BOOST),
                    ("index_terms", INDEX_TERMS_BOOST),
                )
            ),
        ],
    )


def text_query(query: str):
    """The whole query as a title or lay term first, then all terms (or the exact phrase, or
    its words written together), with a fallback to half the terms (any, for one or two)
    forgiving typos on longer words."""
    folded = strip_accents(query).strip()
    words = [
        *(
            Q("term", **{field: {"value": folded, "boost": boost}})
            for field, boost in WHOLE_FIELDS.items()
        ),
        index_query(folded),
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
            fields=["title.exact^3", "short_title.exact^2", "lay_terms.exact^3"],
            type="phrase",
            boost=3,
        ),
        *(
            [Q("multi_match", query=folded, fields=JOINED_FIELDS, boost=2)]
            if len(folded.split()) <= JOINED_MAX_WORDS
            else []
        ),
    ]
    # Named, so a search can tell a match of the words (as written, inflected, or written
    # together) from one found only through the typo-forgiving fallback (spelling: `corrected`).
    # One bool of shoulds inside another scores as the same shoulds side by side.
    return Q(
        "bool",
        should=[
            Q("bool", should=words, _name=WORDS_MATCHED),
            Q(
                "multi_match",
                query=folded,
                fields=FUZZY_FIELDS,
                type="best_fields",
                fuzziness=FUZZINESS,
                prefix_length=1,
                minimum_should_match="1<50%",
            ),
        ],
        minimum_should_match=1,
    )


def highlight_query(query: str, fields: Sequence[str] = HIGHLIGHT_FIELDS):
    """What highlights mark: every query word in any shown field and, for a one-word query,
    one-letter typos in titles. Not the search query itself: the unified highlighter builds each
    fuzzy automaton again per hit and field, which took 0.5-2 s per search over 98,000 codes
    with two-letter fuzziness on every field; even one-letter fuzziness on the titles added
    ~30 ms to "myocardial infarction" (4 ms without highlights, 10 ms with these)."""
    folded = strip_accents(query).strip()
    should = [Q("multi_match", query=folded, fields=list(fields))]
    if "title" in fields and len(folded.split()) <= FUZZY_HIGHLIGHT_MAX_WORDS:
        should.append(Q("match", title={"query": folded, "fuzziness": 1, "prefix_length": 1}))
    return Q("bool", should=should)


# A code-like query lists the code, then its family, above any text that mentions it ("J45"
# is named by the Excludes1 note of R06.2, Wheezing): constants above anything text can score
# (the index's best is INDEX_NAMED_BOOST), taken as the best match, not summed with the text.
CODE_EXACT_SCORE, CODE_FAMILY_SCORE = 200_000, 100_000


def code_query(query: str):
    """The exact code first, then its family (equal scores: the shorter titles, the broader
    codes, first by SORT), then text matches."""
    code = normalised_code(query)
    return Q(
        "dis_max",
        queries=[
            Q(
                "constant_score",
                filter=Q("term", normalised=code),
                boost=CODE_EXACT_SCORE,
                _name=CODE_MATCHED,
            ),
            Q(
                "constant_score",
                filter=Q("prefix", normalised=code),
                boost=CODE_FAMILY_SCORE,
                _name=CODE_MATCHED,
            ),
            text_query(query),
        ],
    )


# The last resort for a query that found nothing and that the suggester could not correct:
# two edits anywhere in a word of 6 letters or more, on the words as written (unstemmed). The
# suggester reads the stemmed vocabulary, where "hemmorhoids" is three edits from "hemorrhoid",
# and it missed "numonia" (two from "pneumonia") even without a prefix; the fuzzy fallback of
# `text_query` forgives two edits only from 12 letters, after the first letter. Run only after
# an empty answer, so its cost (and its looser matches) never touch a query that found
# something.
RESCUE_FIELDS = ["title.exact^6", "lay_terms.exact^5", "inclusion_terms.exact^3", "index_main"]
RESCUE_FUZZINESS = "AUTO:4,6"  # one edit from 4 letters, two from 6 (the spelling rule)


def rescue_query(query: str):
    return Q(
        "multi_match",
        query=strip_accents(query).strip(),
        fields=RESCUE_FIELDS,
        fuzziness=RESCUE_FUZZINESS,
        prefix_length=0,
        minimum_should_match="1<50%",
    )


def respelled(q: str, words: Sequence[str]) -> str | None:
    """`q` with each word of 4 or more letters that is none of `words` replaced by the closest
    of them (difflib's ratio, at least 0.7): what a rescued answer says the query was taken
    for ("numonia" -> "pneumonia" when the first hit's title says "pneumonia"); None when
    nothing changes."""
    known = sorted({w.lower() for w in words if len(w) >= SPELLING_MIN_WORD})
    taken = []
    for word in strip_accents(q).split():
        lower = word.lower()
        close = (
            difflib.get_close_matches(lower, known, n=1, cutoff=0.7)
            if len(lower) >= SPELLING_MIN_WORD and lower not in known
            else []
        )
        taken.append(close[0] if close else word)
    text = " ".join(taken)
    return text if text != " ".join(strip_accents(q).split()) else None


def visible(hidden: Sequence[str]) -> Search:
    """Every code in force, without those of the `hidden` (unlicensed) systems."""
    search = Search(index=alias()).exclude("term", in_force=False)
    return search.exclude("terms", system=list(hidden)) if hidden else search


def build_search(
    *,
    q: str,
    filters: dict,
    size: int,
    cursor: str | None,
    hidden: Sequence[str] = (),
    highlight: Sequence[str] = HIGHLIGHT_FIELDS,
    rescue: bool = False,
) -> Search:
    """Codes matching `q` and `filters`, without the `hidden` systems, with fragments of the
    `highlight` fields that match; with `rescue`, matching `rescue_query(q)` instead."""
    search = visible(hidden)
    if q and rescue:
        search = search.query(rescue_query(q))
    elif q:
        search = search.query(code_query(q) if looks_like_code(q) else text_query(q))
    for field, value in filters.items():
        search = search.filter("term", **{field: value})
    for name, field in FACETS.items():
        search.aggs.bucket(name, A("terms", field=field, size=20))
    search = search.sort(*SORT).extra(size=size, track_total_hits=True)
    if q and highlight:
        text = [field for field in highlight if field not in INDEX_HIGHLIGHTS]
        whole = [field for field in highlight if field in INDEX_HIGHLIGHTS]
        search = search.highlight(
            *text,
            fragment_size=150,
            number_of_fragments=2,
            pre_tags=["<mark>"],
            post_tags=["</mark>"],
        )
        if whole:
            search = search.highlight(
                *whole, number_of_fragments=0, pre_tags=["<mark>"], post_tags=["</mark>"]
            )
        search = search.highlight_options(highlight_query=highlight_query(q, highlight).to_dict())
    if q and not typing_a_code(q):
        search = search.suggest(
            SPELLING,
            strip_accents(q).strip(),
            term={
                "field": "vocabulary",
                "suggest_mode": "missing",
                "min_word_length": SPELLING_MIN_WORD,
                # A typo in the first letter too ("soriasis", "numonia"): the suggester's
                # edits are over the words of the index, not a query automaton per field.
                "prefix_length": 0,
                "size": 1,
            },
        )
    if cursor:
        search = search.extra(search_after=decode_cursor(cursor))
    return search


def corrected(q: str, response) -> str | None:
    """The query with each word the index does not hold replaced by the suggester's nearest
    indexed word, or None when there is nothing to correct, or when the best hit matched the
    words themselves, not only through the typo fallback ("club foot" finds "clubfoot": "club"
    is in no title, but the query is no misspelling)."""
    matched = (
        (getattr(response.hits[0].meta, "matched_queries", None) or ()) if response.hits else ()
    )
    if WORDS_MATCHED in matched or CODE_MATCHED in matched:
        return None
    suggest = getattr(response, "suggest", None)
    entries = getattr(suggest, SPELLING, None) if suggest is not None else None
    if not entries:
        return None
    text, shift = strip_accents(q).strip(), 0
    for entry in entries:
        if not entry.options:
            continue
        start = entry.offset + shift
        text = text[:start] + entry.options[0].text + text[start + entry.length :]
        shift += len(entry.options[0].text) - entry.length
    return text if text != strip_accents(q).strip() else None


# Suggestions score by what matched, not by how often (BM25 put "Type 1 diabetes mellitus
# with diabetic dermatitis" above "Type 2 diabetes mellitus" for "diab": two "diab" words).
# Words are matched as typed on the unstemmed `.exact` fields of the title and the lay terms
# ("broken h" completes the lay term "broken hip"), the last one as a prefix: every word, in
# any order, then a bonus for the exact phrase. Ties go to shorter titles, then billable codes;
# a code being typed (code-like, with a digit) lists the code itself, then its children in code
# order.
SUGGEST_FIELDS = ("title.exact", "lay_terms.exact")
SUGGEST_WORDS_BOOST, SUGGEST_PHRASE_BOOST = 2, 1
# Finished words in another inflection ("fractures of fem"): stemmed, the word being typed as a
# prefix of an unstemmed one; below the rest.
SUGGEST_STEMMED_BOOST = 0.5
# One typo forgiven once a word has 4 letters (SUGGEST_FUZZY_MIN): the word being typed within
# one edit of the start of a word of a title or lay term (`word_starts`, its first 4 to 10
# letters: "pnemon" is one edit from "pneumon", of "pneumonia"), the finished words within one
# edit of whole words; below every match as typed, so it only fills the list.
SUGGEST_FUZZY_MIN, SUGGEST_FUZZY_BOOST = 4, 0.25
CODE_BOOST, CODE_PREFIX_BOOST = 20, 10
HAS_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _suggest_query(folded: str) -> Q:
    if not HAS_LETTER_OR_DIGIT.search(folded):  # "...": nothing to complete
        return Q("match_none")
    code = normalised_code(folded)  # not empty: the text has a letter or digit
    should = [
        _constant(Q("term", normalised=code), CODE_BOOST),
        _constant(Q("prefix", normalised=code), CODE_PREFIX_BOOST),
    ]
    for field in SUGGEST_FIELDS:
        words = Q("match_bool_prefix", **{field: {"query": folded, "operator": "and"}})
        phrase = Q("match_phrase_prefix", **{field: {"query": folded}})
        should += [_constant(words, SUGGEST_WORDS_BOOST), _constant(phrase, SUGGEST_PHRASE_BOOST)]
    *finished, typing = folded.split()
    if finished:
        stemmed = Q("match", title={"query": " ".join(finished), "operator": "and"}) & Q(
            "match_bool_prefix", **{"title.exact": {"query": typing}}
        )
        should.append(_constant(stemmed, SUGGEST_STEMMED_BOOST))
    if len(typing) >= SUGGEST_FUZZY_MIN:
        should.append(_constant(_fuzzy_suggestion(finished, typing), SUGGEST_FUZZY_BOOST))
    return Q("bool", should=should, minimum_should_match=1)


def _fuzzy_suggestion(finished: list[str], typing: str) -> Q:
    start = typing.lower()[:WORD_START_MAX]
    must = [Q("fuzzy", word_starts={"value": start, "fuzziness": 1, "prefix_length": 1})]
    if finished:
        must.append(
            Q(
                "multi_match",
                query=" ".join(finished),
                fields=list(SUGGEST_FIELDS),
                operator="and",
                fuzziness="AUTO:4,12",
                prefix_length=1,
            )
        )
    return Q("bool", must=must)


def build_suggest(
    *, q: str, system: str | None, size: int = 10, hidden: Sequence[str] = ()
) -> Search:
    folded = strip_accents(q.strip())
    search = visible(hidden).query(_suggest_query(folded))
    if system:
        search = search.filter("term", system=system)
    # A word of seven letters ("chronic") looks like a PCS code: codes being typed have digits.
    by_code = [{"_score": "desc"}, {"code": "asc"}, {"system": "asc"}]
    return (
        search.sort(*(by_code if typing_a_code(folded) else SORT))
        .extra(size=size)
        .source(["system", "code", "display_title", "billable", "status"])
    )


def lookup_ids(system: str, codes: list[str]) -> list[str]:
    return [document_id(system, code) for code in codes]
