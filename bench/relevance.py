"""Relevance of /api/v1/codes/search on the full ICD-10-CM import, judged, next to a baseline.

For each query of bench/relevance_queries.json (the ICD-10-CM codes a coder would accept for
it, written by hand: "K80.-" is K80 and every code under it), in one run on one index:
- ours: `GET /api/v1/codes/search?q=...&system=icd10cm&size=10`, through django.test.Client
  (the whole Django stack, the real index);
- baseline: plain BM25, a `match` on the official descriptor alone (`title`), the user's text
  as typed, same index, same filter (ICD-10-CM codes in force).

Figures per system, overall and per category:
- recall@10: the share of queries with at least one accepted code in the top 10;
- MRR: the mean of 1/rank of the first accepted code (0 when none is in the top 10).
Queries whose text is itself one of the curated lay terms (platform/review/data/lay_terms.csv)
are counted apart too ("seeded"), so the effect of that content can be told from the rest.

Every judged code is checked first: it must be a document of the index (the query set is
refused otherwise), and the index must hold the full import (at least 90,000 ICD-10-CM codes).

With `--suggest`, the same figures for `/api/v1/codes/suggest` (its up to 10 suggestions) over
bench/suggest_queries.json (what someone has typed so far: part of a word, words and part of
the next, part of a code), next to the textbook completion: a `match_phrase_prefix` on the
official descriptor, scored by BM25. No aim is set for suggestions.

Run from the repository root against a database and Elasticsearch holding the full import
(`manage.py codes_import icd10cm-2026`, then `manage.py lay_terms_import`), e.g.:
    DATABASE_URL=postgres://postgres@127.0.0.1:55452/relevance \
    ELASTICSEARCH_URL=http://127.0.0.1:59277 SEARCH_INDEX_ALIAS=relevance-codes \
    .venv/bin/python bench/relevance.py [--suggest] [--queries FILE] [--show-all]
"""

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform"))

QUERIES = REPO / "bench" / "relevance_queries.json"
SUGGEST_QUERIES = REPO / "bench" / "suggest_queries.json"
LAY_TERMS = REPO / "platform" / "review" / "data" / "lay_terms.csv"
TOP = 10
FULL_IMPORT = 90_000
AIM_RECALL, AIM_MRR = 0.90, 0.70
SYSTEM = "icd10cm"


@dataclass
class Judged:
    q: str
    category: str
    accept: list[str]
    seeded: bool = False
    ranks: dict = field(default_factory=dict)  # system name -> rank of first accepted, or None
    top: dict = field(default_factory=dict)  # system name -> the codes returned

    def accepts(self, code: str) -> bool:
        compact = code.replace(".", "")
        for item in self.accept:
            if item.endswith("-"):
                if compact.startswith(item.rstrip("-").replace(".", "")):
                    return True
            elif code == item:
                return True
        return False


def load_queries(path: Path) -> list[Judged]:
    from search.accents import strip_accents

    seeds = set()
    with LAY_TERMS.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            seeds.update(
                strip_accents(term).strip().lower() for term in row["lay_terms"].split("|")
            )
    queries = json.loads(path.read_text(encoding="utf-8"))["queries"]
    return [
        Judged(
            q=item["q"],
            category=item["category"],
            accept=item["accept"],
            seeded=strip_accents(item["q"]).strip().lower() in seeds,
        )
        for item in queries
    ]


def configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    # One process asks ~270 questions in a few seconds: anonymous throttling is not measured.
    os.environ.setdefault("THROTTLE_ANON", "1000000/min")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def es():
    from codeledger.elastic import elasticsearch_client

    return elasticsearch_client()


def check_judgements(queries: list[Judged]) -> None:
    """Every judged code (or family root) is a document of the index, which holds the import."""
    from search.documents import alias, document_id

    count = es().count(index=alias(), query={"term": {"system": SYSTEM}})["count"]
    if count < FULL_IMPORT:
        sys.exit(
            f"the index {alias()!r} holds {count:,} {SYSTEM} codes, not the full import "
            f"(>= {FULL_IMPORT:,}): run `manage.py codes_import icd10cm-2026` first"
        )
    codes = sorted({item.rstrip("-").rstrip(".") for q in queries for item in q.accept})
    found = es().mget(index=alias(), ids=[document_id(SYSTEM, c) for c in codes])["docs"]
    missing = [code for code, doc in zip(codes, found, strict=True) if not doc.get("found")]
    if missing:
        sys.exit(f"judged codes that are not in the index: {', '.join(missing)}")
    print(f"{len(queries)} judged queries, {len(codes)} judged codes or families: all in the index")


def ours(client, endpoint: str = "search"):
    params, key = ({"size": TOP}, "hits") if endpoint == "search" else ({}, "suggestions")

    def run(q: str) -> list[str]:
        response = client.get(
            f"/api/v1/codes/{endpoint}",
            {"q": q, "system": SYSTEM, **params},
            HTTP_ACCEPT="application/json",
        )
        if response.status_code != 200:
            status = f"{response.status_code} {response.content[:300]}"
            raise RuntimeError(f"/{endpoint}?q={q}: {status}")
        return [hit["code"] for hit in response.json()[key]]

    return run


def on_descriptor(kind: str):
    """A baseline: the text as typed, one `kind` query on the official descriptor (`title`),
    BM25, over the same codes as ours (ICD-10-CM, in force)."""

    def run(q: str) -> list[str]:
        from elasticsearch.dsl import Search

        from search.documents import alias

        search = (
            Search(index=alias())
            .filter("term", system=SYSTEM)
            .exclude("term", in_force=False)
            .query(kind, title=q)
            .source(["code"])
            .extra(size=TOP)
        )
        return [hit.code for hit in search.using(es()).execute()]

    return run


baseline = on_descriptor("match")  # plain BM25
phrase_prefix = on_descriptor("match_phrase_prefix")  # the textbook completion


def first_rank(judged: Judged, codes: list[str]) -> int | None:
    return next((rank for rank, code in enumerate(codes, 1) if judged.accepts(code)), None)


def scores(queries: list[Judged], name: str) -> tuple[float, float]:
    if not queries:
        return 0.0, 0.0
    ranks = [q.ranks[name] for q in queries]
    recall = sum(rank is not None for rank in ranks) / len(ranks)
    mrr = sum(1 / rank for rank in ranks if rank) / len(ranks)
    return recall, mrr


def report(
    queries: list[Judged], names: list[str], seconds: dict, show_all: bool, aim: bool = True
) -> None:
    groups = {"all": queries}
    for category in dict.fromkeys(q.category for q in queries):
        groups[category] = [q for q in queries if q.category == category]
    groups["seeded (q is a curated lay term)"] = [q for q in queries if q.seeded]
    groups["not seeded"] = [q for q in queries if not q.seeded]

    width = max(len(g) for g in groups) + 2
    header = f"{'queries':<{width}}{'n':>4}" + "".join(
        f"  {name + ' R@10':>17}  {name + ' MRR':>16}" for name in names
    )
    print()
    print(header)
    print("-" * len(header))
    for group, members in groups.items():
        cells = "".join(
            f"  {recall:>17.3f}  {mrr:>16.3f}"
            for recall, mrr in (scores(members, name) for name in names)
        )
        print(f"{group:<{width}}{len(members):>4}{cells}")
    recall, mrr = scores(queries, names[0])
    timing = ", ".join(f"{name} {seconds[name]:.1f} s" for name in names)
    print()
    if aim:
        print(
            f"aim: recall@10 >= {AIM_RECALL} ({'met' if recall >= AIM_RECALL else 'MISSED'}), "
            f"MRR >= {AIM_MRR} ({'met' if mrr >= AIM_MRR else 'MISSED'}); {timing}"
        )
    else:
        print(f"no aim set; {timing}")
    print()
    title = "every query" if show_all else f"queries that {names[0]} misses or ranks below 1"
    print(f"{title} (rank of the first accepted code, '-' = not in the top {TOP}):")
    for q in queries:
        rank = q.ranks[names[0]]
        if show_all or rank != 1:
            ranks = "  ".join(f"{name} {q.ranks[name] or '-':>2}" for name in names)
            print(f"  [{q.category}] {q.q!r}: {ranks}; accept {', '.join(q.accept)}")
            if rank is None:
                print(f"      {names[0]} top {TOP}: {', '.join(q.top[names[0]]) or '(nothing)'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suggest", action="store_true", help="judge /suggest, not /search")
    parser.add_argument("--queries", type=Path, default=None)
    parser.add_argument("--show-all", action="store_true", help="list every query, not misses")
    args = parser.parse_args()

    configure_django()
    from django.test import Client

    queries = load_queries(args.queries or (SUGGEST_QUERIES if args.suggest else QUERIES))
    check_judgements(queries)
    if args.suggest:
        systems = {"ours": ours(Client(), "suggest"), "phrase prefix": phrase_prefix}
    else:
        systems = {"ours": ours(Client()), "BM25": baseline}
    seconds = {}
    for name, run in systems.items():
        run(queries[0].q)  # warm up: the first request pays for connections
        began = time.perf_counter()
        for judged in queries:
            judged.top[name] = run(judged.q)
            judged.ranks[name] = first_rank(judged, judged.top[name])
        seconds[name] = time.perf_counter() - began
    report(queries, list(systems), seconds, args.show_all, aim=not args.suggest)


if __name__ == "__main__":
    main()
