"""Where a search's own time goes inside Elasticsearch, clause by clause, and what each clause
buys in relevance: issue #26 ("report where the query's own time goes and what the new index
fields cost it").

On the index the environment names (DATABASE_URL, ELASTICSEARCH_URL, SEARCH_INDEX_ALIAS: e.g. a
`make run` clone's, holding the full import, its Alphabetic Index and the lay terms), for every
judged query of bench/relevance_queries.json (searches) and bench/suggest_queries.json
(suggestions), the query exactly as the API builds it for an anonymous caller
(`build_search` / `build_suggest`: licensed systems excluded, highlights of the official text
only, ICD-10-CM as bench/relevance.py asks):

1. Profile (`"profile": true`, once per query): Elasticsearch's own breakdown, summed over the
   queries: the query phase by top-level clause (each child of the rewritten Lucene query,
   named by what its description holds: the Alphabetic Index's dis_max, the all-words
   cross_fields, the phrase, the joined words, the typo fallback, the filters), the rewrite,
   the collectors (sorting, counting every hit), each facet's aggregation, and the fetch
   phase (highlighting, source). Profiling slows what it measures, and it turns off some of
   Lucene's shortcuts, so read its shares, not its milliseconds.
2. Ablation: the same queries with one part removed at a time (a throwaway variant of the
   request body, never sent by the product), all variants taking turns query by query in
   ROUNDS rounds against the same index, so a slow spell falls on all alike. Each row is the
   sum of Elasticsearch's `took` over the queries, and what removing the part saves.
3. What each part buys: recall@10 and MRR of the first query alone (before any spelling pass
   of the API) on the development half of the judged searches, with and without the part.
   The held-out half is never looked at here (bench/relevance.py reports it).

    DATABASE_URL=sqlite:////tmp/x/.local/codeledger.sqlite3 \
      ELASTICSEARCH_URL=http://127.0.0.1:9231 SEARCH_INDEX_ALIAS=codes \
      .venv/bin/python bench/search_clauses.py [--rounds N] [--every N]
"""

import argparse
import copy
import importlib.util
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform"))

_spec = importlib.util.spec_from_file_location("relevance", REPO / "bench" / "relevance.py")
relevance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relevance)

SYSTEM = "icd10cm"
SIZE = 20  # the API's default page
ROUNDS = 3
TOP = 10

Body = dict
Edit = Callable[[Body], bool]  # changes a copy of the body; False when the part is absent


# --- finding the parts of a search body -----------------------------------------------------


def _walk(node):
    """Every dict in the body, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _words_bool(body: Body) -> dict | None:
    """The `bool` named "words" (search.queries.WORDS_MATCHED): the clauses that match the
    query's words as written, inflected, joined or in the index."""
    from search.queries import WORDS_MATCHED

    for node in _walk(body.get("query", {})):
        inner = node.get("bool")
        if isinstance(inner, dict) and inner.get("_name") == WORDS_MATCHED:
            return inner
    return None


def _fuzzy_parent(body: Body) -> list | None:
    """The `should` list that holds the words bool and the typo fallback beside it."""
    from search.queries import WORDS_MATCHED

    for node in _walk(body.get("query", {})):
        should = node.get("bool", {}).get("should") if isinstance(node.get("bool"), dict) else None
        named = [c for c in should or () if c.get("bool", {}).get("_name") == WORDS_MATCHED]
        if named:
            return should
    return None


def _kind(clause: dict) -> str:
    """What a clause of the words bool is (search.queries.text_query builds them)."""
    if "term" in clause:
        field = next(iter(clause["term"]))
        return "whole: lay term" if field.startswith("lay_terms") else "whole: title"
    if "dis_max" in clause:
        return "index (dis_max)"
    multi = clause.get("multi_match", {})
    if multi.get("type") == "cross_fields":
        return "all words (cross_fields)"
    if multi.get("type") == "phrase":
        return "phrase"
    if any(".joined" in field for field in multi.get("fields", [])):
        return "joined words"
    return "other"


def drop_word_clause(kind: str) -> Edit:
    def edit(body: Body) -> bool:
        words = _words_bool(body)
        if not words:
            return False
        kept = [clause for clause in words["should"] if _kind(clause) != kind]
        if len(kept) == len(words["should"]):
            return False
        words["should"] = kept
        return True

    return edit


def drop_index_fields_from_all_words(body: Body) -> bool:
    """index_main and index_terms out of the cross_fields (the fields added on 7 December)."""
    words = _words_bool(body)
    for clause in words["should"] if words else []:
        if _kind(clause) == "all words (cross_fields)":
            fields = clause["multi_match"]["fields"]
            kept = [f for f in fields if not f.startswith(("index_main", "index_terms"))]
            clause["multi_match"]["fields"] = kept
            return len(kept) != len(fields)
    return False


def drop_index_matches(body: Body) -> bool:
    """The two `match` clauses of the index's dis_max (every word in a main term, in any entry),
    keeping the constant `terms` on the names."""
    words = _words_bool(body)
    for clause in words["should"] if words else []:
        if _kind(clause) == "index (dis_max)":
            queries = clause["dis_max"]["queries"]
            kept = [
                q for q in queries if "match" not in q.get("constant_score", {}).get("filter", {})
            ]
            clause["dis_max"]["queries"] = kept
            return len(kept) != len(queries)
    return False


def drop_typo_fallback(body: Body) -> bool:
    should = _fuzzy_parent(body)
    if should is None:
        return False
    kept = [c for c in should if "fuzziness" not in c.get("multi_match", {})]
    if len(kept) == len(should):
        return False
    should[:] = kept
    return True


def drop_key(*path: str) -> Edit:
    def edit(body: Body) -> bool:
        node = body
        for key in path[:-1]:
            node = node.get(key, {})
        return node.pop(path[-1], None) is not None

    return edit


def drop_index_highlights(body: Body) -> bool:
    from search.queries import INDEX_HIGHLIGHTS

    fields = body.get("highlight", {}).get("fields", {})
    gone = [name for name in INDEX_HIGHLIGHTS if fields.pop(name, None) is not None]
    return bool(gone)


def exact_total_off(body: Body) -> bool:
    return body.pop("track_total_hits", None) is not None


SEARCH_PARTS: dict[str, Edit] = {
    "whole: lay term": drop_word_clause("whole: lay term"),
    "whole: title": drop_word_clause("whole: title"),
    "index (dis_max)": drop_word_clause("index (dis_max)"),
    "  its two word matches": drop_index_matches,
    "all words (cross_fields)": drop_word_clause("all words (cross_fields)"),
    "  its index fields": drop_index_fields_from_all_words,
    "phrase": drop_word_clause("phrase"),
    "joined words": drop_word_clause("joined words"),
    "typo fallback (fuzzy)": drop_typo_fallback,
    "highlights": drop_key("highlight"),
    "  of the index entries": drop_index_highlights,
    "facets (4 terms aggs)": drop_key("aggs"),
    "spelling suggester": drop_key("suggest"),
    "exact total (track_total_hits)": exact_total_off,
}


def drop_suggest_clause(label: str, test: Callable[[dict], bool]) -> tuple[str, Edit]:
    def edit(body: Body) -> bool:
        should = body["query"]["bool"].get("should")  # build_suggest's clauses, at the top
        if should is None:
            return False
        kept = [c for c in should if not test(c)]
        if len(kept) == len(should):
            return False
        should[:] = kept
        return True

    return label, edit


def _filter(clause: dict) -> dict:
    return clause.get("constant_score", {}).get("filter", {})


SUGGEST_PARTS: dict[str, Edit] = dict(
    [
        drop_suggest_clause("code (term, prefix)", lambda c: "normalised" in str(_filter(c))),
        drop_suggest_clause(
            "words (match_bool_prefix)", lambda c: "match_bool_prefix" in _filter(c)
        ),
        drop_suggest_clause("phrase prefix", lambda c: "match_phrase_prefix" in _filter(c)),
        drop_suggest_clause(
            "stemmed finished words",
            lambda c: "must" in _filter(c).get("bool", {}) and "fuzzy" not in str(_filter(c)),
        ),
        drop_suggest_clause("typo (word_starts fuzzy)", lambda c: "fuzzy" in str(_filter(c))),
    ]
)


# --- the queries --------------------------------------------------------------------------


def configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def es():
    from codeledger.elastic import elasticsearch_client

    return elasticsearch_client()


def anonymous_search_body(q: str) -> Body:
    """The body the API sends for an anonymous `?q=&system=icd10cm` (first query, first page)."""
    from django.http import HttpRequest

    from accounts.licensing import unlicensed_systems
    from codes.redaction import METERED_FIELDS
    from search.queries import build_search, highlight_fields

    search = build_search(
        q=q,
        filters={"system": SYSTEM},
        size=SIZE,
        cursor=None,
        hidden=unlicensed_systems(HttpRequest()),
        highlight=highlight_fields(METERED_FIELDS),
    )
    return search.to_dict()


def anonymous_suggest_body(q: str) -> Body:
    from django.http import HttpRequest

    from accounts.licensing import unlicensed_systems
    from search.queries import build_suggest

    search = build_suggest(q=q, system=None, hidden=unlicensed_systems(HttpRequest()))
    return search.to_dict()


def send(body: Body) -> dict:
    from search.documents import alias

    return es().search(index=alias(), body=body)


# --- 1. profile ---------------------------------------------------------------------------


def clause_name(description: str, kind: str) -> str:
    """A top-level child of the rewritten query, named by what its Lucene description holds."""
    if kind == "MatchAllDocsQuery" or description.startswith(("system:", "in_force:", "#")):
        return "filters"
    for needle, name in (
        ("index_named:", "index (dis_max)"),
        ("lay_terms.whole:", "whole: lay term"),
        ("title.whole:", "whole: title"),
        (".joined:", "joined words"),
        ("word_starts:", "typo (word_starts fuzzy)"),  # suggest
        ("normalised:", "code (term, prefix)"),
    ):
        if needle in description:
            return name
    if "_index_prefix" in description or '*"' in description:
        # suggest: words as typed, the last one a prefix (match_bool_prefix, phrase prefix)
        if '"' in description:
            return "phrase prefix"
        if "+title:" in description or "+(title:" in description:
            return "stemmed finished words"
        return "words (match_bool_prefix)"
    if '"' in description and ".exact:" in description:
        return "phrase"
    if "description:" in description:
        return "all words (cross_fields)"
    if ".exact:" in description:
        return "typo fallback (fuzzy)"
    return "other: " + description[:40]


def top_level(node: dict):
    """The top-level clauses: the children of the outermost BooleanQuery, with the nested
    shoulds (text_query's bool in bool) opened up to the clauses named above."""
    for child in node.get("children", []):
        name = clause_name(child["description"], child["type"])
        if name.startswith("other") and child["type"] == "BooleanQuery" and child.get("children"):
            yield from top_level(child)
        else:
            yield name, child["time_in_nanos"]


def profile(bodies: list[Body]) -> list[tuple[str, float]]:
    """(part, milliseconds summed over the bodies) as Elasticsearch's profiler reports them:
    the query phase and its clauses (largest first), the rewrite, the collectors and the
    aggregations, the fetch phase and its sub-phases."""
    clauses: dict[str, float] = defaultdict(float)
    phases: dict[str, float] = defaultdict(float)
    aggregations: dict[str, float] = defaultdict(float)
    fetches: dict[str, float] = defaultdict(float)
    for body in bodies:
        shard = send({**body, "profile": True})["profile"]["shards"][0]
        for search in shard["searches"]:
            for query in search["query"]:
                phases["query"] += query["time_in_nanos"] / 1e6
                for name, nanos in top_level(query):
                    clauses[name] += nanos / 1e6
            phases["rewrite"] += search["rewrite_time"] / 1e6
            for collector in search["collector"]:
                phases["collectors"] += collector["time_in_nanos"] / 1e6
        for aggregation in shard.get("aggregations", []):
            aggregations[aggregation["description"]] += aggregation["time_in_nanos"] / 1e6
        if fetch := shard.get("fetch"):
            phases["fetch"] += fetch["time_in_nanos"] / 1e6
            for child in fetch.get("children", []):
                fetches[child["type"]] += child["time_in_nanos"] / 1e6

    def largest_first(parts: dict[str, float], label: str) -> list[tuple[str, float]]:
        ordered = sorted(parts.items(), key=lambda item: -item[1])
        return [(f"  {label}{name}", ms) for name, ms in ordered]

    return [
        ("query phase (clauses below; a clause's time includes its children)", phases["query"]),
        *largest_first(clauses, "clause: "),
        ("rewrite (fuzzy and prefix expansion, ...)", phases["rewrite"]),
        ("collectors (top hits by sort, total count, aggregations)", phases["collectors"]),
        *largest_first(aggregations, "aggregation: "),
        ("fetch phase (per returned hit)", phases["fetch"]),
        *largest_first(fetches, "fetch: "),
    ]


# --- 2. and 3. ablation and relevance ------------------------------------------------------


def variants(bodies: dict[str, Body], parts: dict[str, Edit]) -> dict[str, dict[str, Body]]:
    """variant name -> {query: body}; "full" is the product's; each other removes one part
    (queries without that part keep the full body: they cost the same)."""
    out = {"full": bodies}
    for name, edit in parts.items():
        changed = {}
        for q, body in bodies.items():
            copied = copy.deepcopy(body)
            changed[q] = copied if edit(copied) else body
        out[name] = changed
    return out


def ablation(by_variant: dict[str, dict[str, Body]], rounds: int):
    """took (ms) per variant per query, and each variant's codes per query (the first round)."""
    took: dict[str, dict[str, list[int]]] = {v: defaultdict(list) for v in by_variant}
    codes: dict[str, dict[str, list[str]]] = {v: {} for v in by_variant}
    queries = list(by_variant["full"])
    for variant in by_variant.values():  # warm up every variant once, untimed
        for q in queries:
            send(variant[q])
    for round_ in range(rounds):
        names = list(by_variant)
        turn = round_ % len(names)
        for q in queries:
            for name in names[turn:] + names[:turn]:
                response = send(by_variant[name][q])
                took[name][q].append(response["took"])
                if round_ == 0:
                    codes[name][q] = [hit["_source"]["code"] for hit in response["hits"]["hits"]]
    return took, codes


def report(title: str, by_variant, took, codes, judged: dict | None, applies: dict) -> None:
    def total(name: str) -> float:  # the sum over queries of each query's median took
        return sum(statistics.median(values) for values in took[name].values())

    full = total("full")
    n = len(took["full"])
    print(f"\n{title}: {n} queries, sum of each query's median `took`")
    header = f"{'variant':<40}{'n':>5}{'took ms':>10}{'per q':>8}{'saves':>8}{'share':>7}"
    if judged:
        header += f"{'dev R@10':>10}{'MRR':>7}{'top10 same':>12}"
    print(header)
    for name in by_variant:
        spent = total(name)
        line = f"{name if name == 'full' else 'without ' + name.strip():<40}"
        line += f"{applies.get(name, n):>5}{spent:>10.0f}{spent / n:>8.2f}"
        line += f"{full - spent:>8.0f}{(full - spent) / full:>7.0%}" if name != "full" else " " * 15
        if judged:
            recall, mrr = dev_scores(judged, codes[name])
            same = sum(codes[name][q][:TOP] == codes["full"][q][:TOP] for q in codes["full"])
            line += f"{recall:>10.3f}{mrr:>7.3f}{same:>8}/{n}"
        print(line)


def dev_scores(judged: dict, codes: dict[str, list[str]]) -> tuple[float, float]:
    """recall@10 and MRR of the first query alone, over the development half only."""
    ranks = [relevance.first_rank(item, codes[q][:TOP]) for q, item in judged.items()]
    recall = sum(rank is not None for rank in ranks) / len(ranks)
    mrr = sum(1 / rank for rank in ranks if rank) / len(ranks)
    return recall, mrr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--every", type=int, default=1, help="every n-th query only (a quick look)")
    args = parser.parse_args()
    configure_django()
    judged = relevance.load_queries(relevance.QUERIES)
    development = {item.q: item for item in judged if item.half == relevance.DEVELOPMENT}
    search_texts = [item.q for item in judged][:: args.every]  # all timed, dev scored
    suggest = json.loads(relevance.SUGGEST_QUERIES.read_text())["queries"]
    suggest_texts = [item["q"] for item in suggest][:: args.every]
    development = {q: item for q, item in development.items() if q in search_texts}
    began = time.perf_counter()

    for title, texts, build, parts, scored in (
        ("search", search_texts, anonymous_search_body, SEARCH_PARTS, development),
        ("suggest", suggest_texts, anonymous_suggest_body, SUGGEST_PARTS, None),
    ):
        bodies = {q: build(q) for q in texts}
        print(f"\n{title}: Elasticsearch's profile, summed over {len(bodies)} queries")
        for name, ms in profile(list(bodies.values())):
            print(f"  {name:<70}{ms:>8.0f} ms")
        by_variant = variants(bodies, parts)
        applies = {
            name: sum(by_variant[name][q] is not bodies[q] for q in bodies) for name in parts
        }
        took, codes = ablation(by_variant, args.rounds)
        report(title, by_variant, took, codes, scored, applies)

    load = os.getloadavg()
    print(
        f"\n{time.perf_counter() - began:.0f} s; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}; {es().cat.count(index=os.environ.get('SEARCH_INDEX_ALIAS', 'codes'))}"
    )


if __name__ == "__main__":
    main()
