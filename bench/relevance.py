"""Relevance of /api/v1/codes/search on the full ICD-10-CM import, judged, next to baselines.

For each query of bench/relevance_queries.json (the ICD-10-CM codes a coder would accept for
it, written by hand from the tabular and the Alphabetic Index: "K80.-" is K80 and every code
under it), in one run on one index:
- ours: `GET /api/v1/codes/search?q=...&system=icd10cm&size=10`, through django.test.Client
  (the whole Django stack, the real index);
- ours without the curated lay terms: the same request on a copy of the index whose documents
  have no lay terms (made here by scrolling the index and bulk-indexing each document with
  `lay_terms` emptied into an index with the same mapping, so the spelling vocabulary loses
  them too; made again whenever the index behind the alias changes): what the official text,
  the index, spelling and ranking carry alone. (`word_starts`, for suggestions only, keeps
  the lay terms' words: this copy judges /search, not /suggest);
- BM25: plain BM25, a `match` on the official descriptor alone (`title`), the user's text as
  typed, same index, same filter (ICD-10-CM codes in force).

The set is split once into a development half and a held-out half (`split` in the file: a
seeded hash of each query's text; every query records its `half`, checked here against the
rule, so none can be moved). Figures per half, overall and per kind:
- recall@10: the share of queries with at least one accepted code in the top 10;
- MRR: the mean of 1/rank of the first accepted code (0 when none is in the top 10);
- default@1 (general single terms): the share whose first result is the main term's own code
  in the index (`default`);
- zero: how many queries got no result at all.
Queries whose text is itself one of the curated lay terms (platform/review/data/lay_terms.csv)
are counted apart too ("seeded"), so the effect of that content can be told from the rest.
Misses are listed for the development half only (tune on it); `--show-held-out` lists the
held-out half's too, for the final report. `--development` asks the development half alone,
ours alone (no copy of the index, no BM25): quick, and blind to the held-out half, for deciding
a change.

Every judged code is checked first: it must be a document of the index (the query set is
refused otherwise), and the index must hold the full import (at least 90,000 ICD-10-CM codes).

With `--suggest`, recall@10 and MRR for `/api/v1/codes/suggest` (its up to 10 suggestions) over
bench/suggest_queries.json (what someone has typed so far: part of a word, words and part of
the next, part of a code), next to the textbook completion: a `match_phrase_prefix` on the
official descriptor, scored by BM25. No aim is set for suggestions.

Run from the repository root against a database and Elasticsearch holding the full import,
its Alphabetic Index and the curated lay terms (`manage.py codes_import icd10cm-2026`,
`manage.py index_import`, `manage.py lay_terms_import`; docs/search.md), e.g.:
    DATABASE_URL=postgres://postgres@127.0.0.1:55452/relevance \
    ELASTICSEARCH_URL=http://127.0.0.1:59277 SEARCH_INDEX_ALIAS=relevance-codes \
    .venv/bin/python bench/relevance.py [--suggest] [--queries FILE] [--show-all] [--show-held-out]

`--queries-at REV` answers with the search and suggest queries of platform/search/queries.py
as they were at REV (the rest of the stack as it is): the figures before a change, on the same
index, in a run of their own.
"""

import argparse
import csv
import hashlib
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
SYSTEM = "icd10cm"
DEVELOPMENT, HELD_OUT = "development", "held-out"
# The aims of issue #21, on the held-out half.
AIM_RECALL, AIM_MRR, AIM_DEFAULT_AT_1 = 0.95, 0.85, 0.90
OURS, WITHOUT_LAY, BM25 = "ours", "no lay", "BM25"
WITHOUT_LAY_SUFFIX = "-without-lay-terms"


@dataclass
class Judged:
    q: str
    category: str
    accept: list[str]
    half: str | None = None
    default: str | None = None
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


def half_of(seed: str, q: str) -> str:
    """The split's rule (recorded in the file): a seeded hash of the query's own text, so a
    query's half never depends on the others, and adding queries moves none."""
    return HELD_OUT if hashlib.sha256(f"{seed}:{q}".encode()).digest()[0] % 2 else DEVELOPMENT


def load_queries(path: Path) -> list[Judged]:
    from search.accents import strip_accents

    seeds = set()
    with LAY_TERMS.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            seeds.update(
                strip_accents(term).strip().lower() for term in row["lay_terms"].split("|")
            )
    data = json.loads(path.read_text(encoding="utf-8"))
    queries = [
        Judged(
            q=item["q"],
            category=item["category"],
            accept=item["accept"],
            half=item.get("half"),
            default=item.get("default"),
            seeded=strip_accents(item["q"]).strip().lower() in seeds,
        )
        for item in data["queries"]
    ]
    if "split" in data:
        seed = data["split"]["seed"]
        moved = [q.q for q in queries if q.half != half_of(seed, q.q)]
        if moved:
            sys.exit(f"queries whose recorded half is not the split's: {', '.join(moved)}")
    return queries


def configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    # One process asks ~1,500 questions in a minute: anonymous throttling is not measured.
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


def index_without_lay_terms() -> str:
    """A copy of the index behind the alias, its documents without lay terms (same mapping);
    made again when the alias points elsewhere (a rebuild) than the copy was made from."""
    from search.documents import alias, index_definition

    source = next(iter(es().indices.get_alias(name=alias())))
    name = alias() + WITHOUT_LAY_SUFFIX
    if es().indices.exists(index=name):
        meta = es().indices.get_mapping(index=name)[name]["mappings"].get("_meta", {})
        if meta.get("source") == source:
            return name
        es().indices.delete(index=name)
    index_definition(name).create(using=es())
    began = time.perf_counter()
    # Scroll and bulk, both in the server core (a minimal node has no reindex module).
    from elasticsearch import helpers

    def without_lay_terms():
        for hit in helpers.scan(es(), index=source, size=2000):
            yield {
                "_index": name,
                "_id": hit["_id"],
                "_source": {**hit["_source"], "lay_terms": []},
            }

    for ok, item in helpers.streaming_bulk(es(), without_lay_terms(), chunk_size=1000):
        if not ok:
            sys.exit(f"copying {source!r} without lay terms failed: {item}")
    es().indices.refresh(index=name)
    # Marked with its source only once whole: an interrupted copy is made again next time.
    es().indices.put_mapping(index=name, meta={"source": source})
    print(f"made {name!r} from {source!r} without lay terms in {time.perf_counter() - began:.0f} s")
    return name


def ours(client, endpoint: str = "search", index: str | None = None):
    from django.test import override_settings

    params, key = ({"size": TOP}, "hits") if endpoint == "search" else ({}, "suggestions")

    def run(q: str) -> list[str]:
        with override_settings(**({"SEARCH_INDEX_ALIAS": index} if index else {})):
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


@dataclass
class Scores:
    recall: float
    mrr: float
    default_at_1: float | None  # over the members with a default code; None without any
    zero: int


def scores(queries: list[Judged], name: str) -> Scores:
    if not queries:
        return Scores(0.0, 0.0, None, 0)
    ranks = [q.ranks[name] for q in queries]
    defaults = [q for q in queries if q.default]
    return Scores(
        recall=sum(rank is not None for rank in ranks) / len(ranks),
        mrr=sum(1 / rank for rank in ranks if rank) / len(ranks),
        default_at_1=(
            sum(q.top[name][:1] == [q.default] for q in defaults) / len(defaults)
            if defaults
            else None
        ),
        zero=sum(not q.top[name] for q in queries),
    )


def groups_of(queries: list[Judged]) -> dict[str, list[Judged]]:
    groups = {"all": queries}
    for category in sorted(dict.fromkeys(q.category for q in queries)):
        groups[category] = [q for q in queries if q.category == category]
    groups["seeded (q is a lay term)"] = [q for q in queries if q.seeded]
    groups["not seeded"] = [q for q in queries if not q.seeded]
    return groups


def table(title: str, queries: list[Judged], names: list[str]) -> None:
    groups = groups_of(queries)
    width = max(len(g) for g in groups) + 2
    header = f"{title:<{width}}{'n':>4}" + "".join(
        f" | {name + ' R@10':>13} {'MRR':>5} {'def@1':>5} {'zero':>4}" for name in names
    )
    print()
    print(header)
    print("-" * len(header))
    for group, members in groups.items():
        cells = ""
        for name in names:
            got = scores(members, name)
            default = "" if got.default_at_1 is None else f"{got.default_at_1:.3f}"
            cells += f" | {got.recall:>13.3f} {got.mrr:>5.3f} {default:>5} {got.zero:>4}"
        print(f"{group:<{width}}{len(members):>4}{cells}")


def aims(queries: list[Judged]) -> None:
    held = [q for q in queries if q.half == HELD_OUT]
    got = scores(held, OURS)
    general = scores([q for q in held if q.category == "general"], OURS)
    verdict = {True: "met", False: "MISSED"}
    print()
    print(
        f"aims on the held-out half ({len(held)}): recall@10 {got.recall:.3f} >= {AIM_RECALL} "
        f"({verdict[got.recall >= AIM_RECALL]}), MRR {got.mrr:.3f} >= {AIM_MRR} "
        f"({verdict[got.mrr >= AIM_MRR]}), general single terms default code at rank 1 "
        f"{general.default_at_1 or 0:.3f} >= {AIM_DEFAULT_AT_1} "
        f"({verdict[(general.default_at_1 or 0) >= AIM_DEFAULT_AT_1]}), zero results "
        f"{got.zero} (typos: {sum(not q.top[OURS] for q in held if q.category.startswith('typo'))})"
    )


def listing(queries: list[Judged], names: list[str], show_all: bool, halves: set) -> None:
    print()
    what = "every query" if show_all else f"queries that {names[0]} misses or ranks below 1"
    print(f"{what}, {' and '.join(sorted(halves))} half (rank of the first accepted code):")
    for q in queries:
        if (q.half or DEVELOPMENT) not in halves:
            continue
        rank = q.ranks[names[0]]
        missed_default = q.default and q.top[names[0]][:1] != [q.default]
        if show_all or rank != 1 or missed_default:
            ranks = "  ".join(f"{name} {q.ranks[name] or '-':>2}" for name in names)
            print(f"  [{q.category}] {q.q!r}: {ranks}; accept {', '.join(q.accept)}")
            if rank is None or rank > 1 or missed_default:
                print(f"      {names[0]} top: {', '.join(q.top[names[0]]) or '(nothing)'}")


def use_queries_at(rev: str) -> None:
    """Let the API build its queries with platform/search/queries.py as it was at `rev`."""
    import importlib.util
    import subprocess

    from search import api

    text = subprocess.run(
        ["git", "show", f"{rev}:platform/search/queries.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("before", None))
    exec(compile(text, f"{rev}:platform/search/queries.py", "exec"), module.__dict__)
    for name in ("build_search", "build_suggest", "corrected"):
        setattr(api, name, getattr(module, name))
    print(f"queries as at {rev}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suggest", action="store_true", help="judge /suggest, not /search")
    parser.add_argument("--queries", type=Path, default=None)
    parser.add_argument("--show-all", action="store_true", help="list every query, not misses")
    parser.add_argument(
        "--show-held-out", action="store_true", help="list the held-out half's queries too"
    )
    parser.add_argument("--queries-at", metavar="REV", help="the queries of an earlier commit")
    parser.add_argument(
        "--development",
        action="store_true",
        help="ask and score the development half only, ours only (no index copy, no BM25): "
        "for deciding a change without looking at the held-out half",
    )
    args = parser.parse_args()

    configure_django()
    if args.queries_at:
        use_queries_at(args.queries_at)
    from django.test import Client

    queries = load_queries(args.queries or (SUGGEST_QUERIES if args.suggest else QUERIES))
    if args.development:
        queries = [q for q in queries if (q.half or DEVELOPMENT) == DEVELOPMENT]
    check_judgements(queries)
    if args.development:
        systems = {OURS: ours(Client(), "suggest" if args.suggest else "search")}
    elif args.suggest:
        systems = {OURS: ours(Client(), "suggest"), "phrase prefix": phrase_prefix}
    else:
        systems = {
            OURS: ours(Client()),
            WITHOUT_LAY: ours(Client(), index=index_without_lay_terms()),
            BM25: baseline,
        }
    seconds = {}
    for name, run in systems.items():
        run(queries[0].q)  # warm up: the first request pays for connections
        began = time.perf_counter()
        for judged in queries:
            judged.top[name] = run(judged.q)
            judged.ranks[name] = first_rank(judged, judged.top[name])
        seconds[name] = time.perf_counter() - began
    names = list(systems)
    halves = sorted({q.half for q in queries if q.half})
    for half in halves:
        table(half, [q for q in queries if q.half == half], names)
    table("both halves" if halves else "queries", queries, names)
    print()
    print("seconds: " + ", ".join(f"{name} {seconds[name]:.1f}" for name in names))
    if HELD_OUT in halves:
        aims(queries)
    shown = {DEVELOPMENT, HELD_OUT} if args.show_held_out or not halves else {DEVELOPMENT}
    listing(queries, names, args.show_all, shown)


if __name__ == "__main__":
    main()
