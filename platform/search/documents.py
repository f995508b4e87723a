"""The search index: one document per code, behind an alias over timestamped physical indices.

The mapping uses only what the Elasticsearch server core provides (docs/elasticsearch.md): the
standard tokenizer, lowercase and hunspell (en_US, Debian's dictionary) filters, a lowercase
normalizer, text with `index_prefixes`, keyword, boolean, integer, long and date. Creating an index
on a node without the hunspell dictionary fails loudly at index creation, never silently.
"""

import functools
import re

from django.conf import settings
from django.utils import timezone
from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    Long,
    Text,
    analyzer,
    normalizer,
    token_filter,
)

from search.accents import strip_accents

english = analyzer(
    "english_hunspell",
    tokenizer="standard",
    filter=["lowercase", token_filter("en_us_hunspell", "hunspell", locale="en_US", dedup=True)],
)
lowercase = normalizer("lowercase_keyword", filter=["lowercase"])
# Words written together or apart ("clubfoot" / "club foot", "heatstroke" / "heat stroke"): the
# index holds every word and every pair of neighbours joined; a query is looked up by its pairs
# joined (or its one word). The core shingle filter, so no module is needed.
joined_words = analyzer(
    "joined_words",
    tokenizer="standard",
    filter=[
        "lowercase",
        token_filter(
            "joined_pairs_and_words",
            "shingle",
            min_shingle_size=2,
            max_shingle_size=2,
            token_separator="",
            output_unigrams=True,
        ),
    ],
)
joined_pairs = analyzer(
    "joined_pairs",
    tokenizer="standard",
    filter=[
        "lowercase",
        token_filter(
            "joined_pairs_only",
            "shingle",
            min_shingle_size=2,
            max_shingle_size=2,
            token_separator="",
            output_unigrams=False,
            output_unigrams_if_no_shingles=True,
        ),
    ],
)
WHOLE_MAX = 256  # longer values are sentences nobody types whole


def _text(
    *,
    whole: bool = False,
    joined: bool = False,
    prefixes: bool = False,
    norms: bool = True,
    **extra,
):
    """Stemmed text, an unstemmed `.exact` twin; with `whole` the entire value as a lowercase
    keyword (`.whole`): a query that *is* a title or a lay term is the best answer; with `joined`
    words and neighbour pairs written together (`.joined`); with `prefixes` the `.exact` twin
    also indexes the first 1-10 letters of each word, for suggestions as people type (a word
    half typed is no word to stem: the stemmer makes "inf" into "f")."""
    exact = {"index_prefixes": {"min_chars": 1, "max_chars": 10}} if prefixes else {}
    fields = {"exact": Text(analyzer="standard", norms=norms, **exact)}
    if whole:
        fields["whole"] = Keyword(normalizer=lowercase, ignore_above=WHOLE_MAX, doc_values=False)
    if joined:
        fields["joined"] = Text(
            analyzer=joined_words, search_analyzer=joined_pairs, norms=False, index_options="freqs"
        )
    return Text(analyzer=english, fields=fields, norms=norms, **extra)


# The words searches may be corrected to (term suggester): titles, lay terms and the index's
# terms, stemmed like the text fields, so an inflection ("hiccups") is no misspelling.
VOCABULARY = "vocabulary"


class CodeDocument(Document):
    system = Keyword()
    code = Keyword()  # display form, e.g. I21.4
    normalised = Keyword()  # i214
    title = _text(whole=True, joined=True, prefixes=True, copy_to=VOCABULARY)
    display_title = Keyword(index=False, doc_values=False)  # as written, accents and all
    title_length = Integer()
    short_title = _text()
    description = _text()
    # Lists of short terms: no length norms, so a code with many terms is not pushed down.
    lay_terms = _text(whole=True, joined=True, prefixes=True, norms=False, copy_to=VOCABULARY)
    inclusion_terms = _text(joined=True, norms=False)
    notes = _text()
    # The Alphabetic Index (alphabetic_index): the paths of the entries that lead to the code,
    # with their non-essential modifiers ("Pneumonia, aspiration", "Diabetes, diabetic
    # (mellitus) (sugar)"), and apart the main terms whose own code (or reference) it is.
    index_terms = _text(norms=False, copy_to=VOCABULARY)
    index_main = _text(norms=False, copy_to=VOCABULARY)
    # The names of those main terms, whole and folded ("diabetes", "hiccup"): a query that *is*
    # one names the code's main term (`index_named`: the code is its default) or the main term
    # of one of its entries (`index_heads`: the default or a subterm's code).
    index_named = Keyword(doc_values=False)
    index_heads = Keyword(doc_values=False)
    # The first 4 to 10 letters of each word of the title and the lay terms, for suggestions
    # that forgive one typo in the word being typed ("pnemon": "pneumon", of "pneumonia"): a
    # fuzzy query on whole words cannot, and the `index_prefixes` of `.exact` cannot be queried
    # fuzzily.
    word_starts = Keyword(doc_values=False)
    vocabulary = Text(analyzer=english, norms=False, index_options="docs")
    related = Keyword()
    chapter = Keyword(normalizer=lowercase, fields={"text": Text(analyzer=english)})
    block = Keyword()
    parent = Keyword()
    billable = Boolean()
    in_force = Boolean()  # false while the code's own registration is scheduled
    status = Keyword()
    version = Integer()
    position = Long()
    effective_from = Date()
    updated_at = Date()
    next_change_on = Date()  # a scheduled change comes into force then: reindex that day

    class Index:
        name = "codes"
        settings = {"number_of_shards": 1, "number_of_replicas": 0}


def alias() -> str:
    """The alias readers and the projector use (tests give each test its own)."""
    return settings.SEARCH_INDEX_ALIAS


def index_definition(name: str) -> Index:
    index = Index(name)
    index.document(CodeDocument)
    index.settings(number_of_shards=1, number_of_replicas=0)
    return index


def new_index_name() -> str:
    return f"{alias()}-{timezone.now().strftime('%Y%m%d%H%M%S%f')}"


def document_id(system: str, code: str) -> str:
    return f"{system}:{code}"


WORD_START_MIN, WORD_START_MAX = 4, 10
_WORD = re.compile(r"[^\W_]+")


def word_starts(texts) -> list[str]:
    """The distinct first 4 to 10 letters of every word of 4 letters or more in `texts`."""
    starts = set()
    for text in texts:
        for word in _WORD.findall(_fold(text).lower()):
            starts.update(_starts_of(word))
    return sorted(starts)


@functools.lru_cache(maxsize=1 << 16)
def _starts_of(word: str) -> tuple[str, ...]:
    """A word's starts, once per word: a code set's titles share a few tens of thousands of
    words, and computing them per title was a fifth of building the documents."""
    return tuple(word[:size] for size in range(WORD_START_MIN, min(len(word), WORD_START_MAX) + 1))


def _fold(text: str) -> str:
    """strip_accents, without its regular expression for the plain ASCII text without an
    apostrophe that most titles and terms are (the same answer, a tenth of the time)."""
    if text.isascii() and "'" not in text:
        return text
    return strip_accents(text)


def _folded(texts) -> list[str]:
    return [_fold(text) for text in texts]


def document_source(
    state,
    *,
    position: int,
    effective_from,
    updated_at,
    next_change_on=None,
    in_force=True,
    index_terms=(),
    index_main=(),
    index_named=(),
    index_heads=(),
) -> dict:
    """The indexed form of a code (accent-folded text; the display text stays in `code`)."""
    content = state.content
    notes = content.get("notes") or {}
    other_notes = [
        text for kind, texts in notes.items() if kind != "inclusion_terms" for text in texts
    ]
    title = content["official_descriptor"]
    lay_terms = content.get("lay_terms") or []
    return {
        "system": state.system,
        "code": state.code,
        "normalised": state.code.replace(".", "").lower(),
        "title": _fold(title),
        "display_title": title,
        "title_length": len(title),
        "short_title": _fold(content.get("short_descriptor") or ""),
        "description": _fold(content.get("common_description") or ""),
        "lay_terms": _folded(lay_terms),
        "inclusion_terms": _folded(notes.get("inclusion_terms") or []),
        "notes": _folded(other_notes),
        "index_terms": _folded(index_terms),
        "index_main": _folded(index_main),
        "index_named": list(index_named),
        "index_heads": list(index_heads),
        "word_starts": word_starts([title, *lay_terms]),
        "related": [r["code"] for r in content.get("related") or []],
        "chapter": content.get("chapter") or "",
        "block": content.get("block") or "",
        "parent": content.get("parent") or "",
        "billable": bool(content.get("billable")),
        "in_force": in_force,
        "status": content.get("status") or "active",
        "version": state.version,
        "position": position,
        "effective_from": effective_from,
        "updated_at": updated_at,
        "next_change_on": next_change_on,
    }
