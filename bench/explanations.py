"""Generating the plain-language explanation of every ICD-10-CM code, timed, beside a floor.

The aim of issue #22: every code has an explanation and generating all of them takes under
60 s in total (they are rendered on demand and cached; this is the cost of rendering them all
once). One run, one process, on the April 2026 tabular as `codesets.sources` reads it (98,186
codes with their chapter and block notes), the vendored FY2025 Alphabetic Index and the curated
glossary (platform/knowledge/data/glossary.csv), all held in memory as `knowledge.bulk` reads
them, so the figure is the composing itself, not the database:
- floor: one sentence per code from the same facts ("X is the code for Y"), the least any
  generator does per code (facts gathered, a string built);
- ours: `knowledge.explanation.compose` for every code (notes that apply, variants one
  character away, 7th characters, index entries, glossary).
Wall-clock and CPU seconds are both printed: on a shared machine the CPU time is what the code
costs, the wall time what a person waited. Coverage figures say how many codes got each kind of
sentence. `--examples FILE` writes 30 explanations across the chapters (3 fixed, the rest one per
chapter picked with a fixed seed) as Markdown, for docs/explanations.md.

    .venv/bin/python bench/explanations.py [--examples FILE]
"""

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform"))

AIM_SECONDS = 60
SEED = 22
FIXED_EXAMPLES = ("S72.001A", "E11.9", "J45.909")


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()


def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def index_paths(contents: dict) -> dict[str, list[str]]:
    """The index entries whose code is a code of the tabular, by code, shallowest first (the
    import also attaches incomplete codes to their category; this counts exact codes only)."""
    from alphabetic_index.management.commands.index_import import DEFAULT_FILE
    from alphabetic_index.readers import read_entries
    from alphabetic_index.resolution import build_entries

    found = defaultdict(list)
    for entry in sorted(build_entries(read_entries(DEFAULT_FILE)), key=lambda e: e["level"]):
        code = entry["resolved_code"]
        if code in contents:
            found[code].append(entry["path"])
    return found


def load():
    from codes.sections import SectionState
    from codesets.sources import read_sections, read_source
    from knowledge.bulk import Contents
    from knowledge.management.commands.glossary_import import SEED_FILE, read_seed

    contents = {code.code: code.content for code in read_source("icd10cm-2026")}
    sections = {
        s.section: SectionState(s.system, s.section, s.level, s.title, s.notes, s.chapter, 1)
        for s in read_sections("icd10cm-2026")
    }
    glossary = {row.term: row.plain for row in read_seed(SEED_FILE)}
    return Contents(
        "icd10cm", contents, sections=sections, glossary=glossary, index=index_paths(contents)
    )


def floor(tabular) -> int:
    n = 0
    for code in tabular.contents:
        facts = tabular.facts(code)
        n += len(f"{facts.code} is the ICD-10-CM code for “{facts.descriptor}”.")
    return n


def ours(tabular, wanted: set[str]) -> tuple[Counter, int, dict[str, dict]]:
    """Compose every code's explanation; keep only what it covers (and the examples' texts), so
    memory stays flat."""
    from knowledge.explanation import compose

    kinds, sentences, kept = Counter(), 0, {}
    for code in tabular.contents:
        explanation = compose(tabular.facts(code))
        sentences += len(explanation["sentences"])
        kinds.update(covered(explanation))
        if code in wanted:
            kept[code] = explanation
    return kinds, sentences, kept


def covered(explanation: dict) -> list[str]:
    """What kinds of sentence an explanation has."""
    texts = [s["text"] for s in explanation["sentences"]]
    sources = {src.split(":")[0] for s in explanation["sentences"] for src in s["sources"]}
    found = {
        "has an explanation": bool(explanation["text"]),
        "a variant (side, with/without)": any(
            t.startswith(("The side", "With or without")) for t in texts
        ),
        "which 7th character": any(t.startswith("The 7th character") for t in texts),
        "what it does not cover (Excludes1)": "notes.excludes1" in sources,
        "what to code first or as well": bool(
            sources & {"notes.code_first", "notes.use_additional", "notes.code_also"}
        ),
        "index entries": "index" in sources,
        "plain words (glossary)": "glossary" in sources,
    }
    return [kind for kind, present in found.items() if present]


def examples(tabular) -> list[str]:
    by_chapter = defaultdict(list)
    for code in sorted(tabular.contents):
        by_chapter[tabular.contents[code]["chapter"]].append(code)
    rng = random.Random(SEED)
    chosen = list(FIXED_EXAMPLES)
    for chapter in sorted(by_chapter, key=lambda c: c.rsplit("(", 1)[-1]):
        billable = [c for c in by_chapter[chapter] if tabular.contents[c]["billable"]]
        pick = rng.choice(billable)
        if pick not in chosen:
            chosen.append(pick)
    rng2 = random.Random(SEED + 1)
    headings = [c for c in sorted(tabular.contents) if not tabular.contents[c]["billable"]]
    while len(chosen) < 30:
        pick = rng2.choice(headings)
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def write_examples(path: Path, tabular, explanations: dict[str, dict]) -> None:
    lines = []
    for code in examples(tabular):
        content = tabular.contents[code]
        lines += [f"### {code} ({content['chapter'].rsplit('(', 1)[-1].rstrip(')')})", ""]
        for sentence in explanations[code]["sentences"]:
            lines.append(f"- {sentence['text']}  ")
            lines.append(f"  <sub>sources: {', '.join(sentence['sources'])}</sub>")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=Path, help="write 30 examples as Markdown here")
    args = parser.parse_args()
    setup()
    tabular, load_wall, load_cpu = timed(load)
    _, floor_wall, floor_cpu = timed(lambda: floor(tabular))
    wanted = set(examples(tabular))
    (kinds, sentences, kept), ours_wall, ours_cpu = timed(lambda: ours(tabular, wanted))
    n = len(tabular.contents)
    print(
        f"ICD-10-CM April 2026: {n} codes; loading the tabular, sections, index and glossary "
        f"took {load_wall:.1f} s wall, {load_cpu:.1f} s CPU (not part of generating)"
    )
    print()
    print(f"{'':32} {'wall s':>8} {'CPU s':>8} {'codes/s (CPU)':>14}")
    for label, wall, cpu in (
        ("floor: one sentence per code", floor_wall, floor_cpu),
        ("ours: compose every code", ours_wall, ours_cpu),
    ):
        print(f"{label:32} {wall:8.1f} {cpu:8.1f} {n / cpu:14,.0f}")
    met = "met" if ours_cpu < AIM_SECONDS else "missed"
    print(
        f"\naim: all {n} codes in < {AIM_SECONDS} s: {met} ({ours_cpu:.1f} s CPU, "
        f"{ours_wall:.1f} s wall; {ours_cpu / floor_cpu:.1f}x the floor)"
    )
    print(f"sentences per code: {sentences / n:.1f}; codes with ...")
    for kind, count in kinds.most_common():
        print(f"  {kind:40} {count:7,} ({count / n:6.1%})")
    if args.examples:
        write_examples(args.examples, tabular, kept)
        print(f"\n30 examples written to {args.examples}")


if __name__ == "__main__":
    main()
