"""CasePilot (POST /api/v1/assistant/ask) on the full ICD-10-CM import: judged questions, right
answers, codes cited that are not in the content, and latency, next to a baseline in one run.

The judged set (QUESTIONS below) was written by hand on 2026-12-07 from the ICD-10-CM tabular
(April 2026) and the FY2025 Alphabetic Index as a coder reads them, before the engine was run
on it, and has not been edited to fit its answers. Each question says:
- `intent`: what a coder is asking (assistant.intents.INTENTS);
- `codes`: the codes a right answer must cite (every one of them; it may cite more: the
  notes it relied on are cited on the codes they are written on). Out-of-scope questions cite
  nothing, and that is judged too;
- `verdict` (together only): "no" when an Excludes1 note keeps the two apart, else "yes";
- `mentions` (optional): a code or family the answer's text must name (the note relied on,
  e.g. "Z79.4" for E11's use-additional note);
- `code` (optional): the code page the question is asked on.
An answer is right when its intent is the judged one, it cites every judged code (nothing, for
out-of-scope), its verdict is the judged one and its text names every judged mention.

Halves: a question is held out when the first byte of sha256(SEED + ':' + question) is odd,
development otherwise (the rule of bench/relevance_queries.json): fixed per question, decided
once, before any tuning. Tuning looks at the development half only (`--half dev --show`); the
aim is read on the held-out half.

Figures, for ours and for the baseline, on each half and overall:
- right: the share of right answers (aim >= 90% on the held-out half);
- foreign citations: answers citing a code that is not a code in force in the content (aim 0);
- latency p50/p95 at one client (aim p95 <= 300 ms), ours through the whole Django stack
  (django.test.Client, a free account's session), next to the floor of one code read
  (`codes.selectors.code_current`) through the same stack's ORM.
The baseline is the answer a keyword lookup gives: intent `which_code` when the question names
no code (the first Alphabetic Index entry for its words), else `what_is` (the first code named,
cited); it never refuses.

Run from the repository root against a database holding the full import
(`manage.py codes_import icd10cm-2026`, then `manage.py index_import`), e.g.:
    DATABASE_URL=sqlite:////tmp/assistant-bench/bench.sqlite3 \\
    ELASTICSEARCH_URL=http://127.0.0.1:9 .venv/bin/python bench/assistant.py [--half dev] [--show]
Without Elasticsearch the which-code questions the index cannot answer fall back to nothing
(search is unavailable); with it, to search.
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform"))

SEED = "assistant-split-2026-12-07"
FULL_IMPORT = 90_000
AIM_RIGHT, AIM_P95_MS = 0.90, 300


def q(question, intent, codes=(), *, verdict=None, mentions=(), code=None):
    return {
        "q": question,
        "intent": intent,
        "codes": list(codes),
        "verdict": verdict,
        "mentions": list(mentions),
        "code": code,
    }


QUESTIONS = [
    # --- what is code X
    q("What is J45.909?", "what_is", ["J45.909"]),
    q("what is code E11.9", "what_is", ["E11.9"]),
    q("Explain I10", "what_is", ["I10"]),
    q("What does R05.9 mean?", "what_is", ["R05.9"]),
    q("Tell me about code M54.5", "what_is", ["M54.5"]),
    q("describe Z00.00", "what_is", ["Z00.00"]),
    q("What is F32.A?", "what_is", ["F32.A"]),
    q("N39.0?", "what_is", ["N39.0"]),
    q("what's K21.9", "what_is", ["K21.9"]),
    q("What is the code I21.4 about?", "what_is", ["I21.4"]),
    q("Define G43.909", "what_is", ["G43.909"]),
    q("What is U07.1", "what_is", ["U07.1"]),
    q("what is S72.001A", "what_is", ["S72.001A"]),
    q("what is code Z79.4", "what_is", ["Z79.4"]),
    q("What is this code?", "what_is", ["J18.9"], code="J18.9"),
    # --- which code for a condition
    q("Which code for pneumonia?", "which_code", ["J18.9"]),
    q("What is the code for asthma?", "which_code", ["J45.909"]),
    q("which code for hypertension", "which_code", ["I10"]),
    q("How do I code acute bronchitis?", "which_code", ["J20.9"]),
    q("code for urinary tract infection", "which_code", ["N39.0"]),
    q("which code for migraine", "which_code", ["G43.909"]),
    q("What code do I use for gout?", "which_code", ["M10.9"]),
    q("icd-10 code for anemia", "which_code", ["D64.9"]),
    q("which code for obesity", "which_code", ["E66.9"]),
    q("which code for chest pain", "which_code", ["R07.9"]),
    q("which code for headache", "which_code", ["R51.9"]),
    q("which code for constipation", "which_code", ["K59.00"]),
    q("which code for dementia", "which_code", ["F03.90"]),
    q("which code for low back pain", "which_code", ["M54.50"]),
    q("which code for hyperlipidemia", "which_code", ["E78.5"]),
    q("which code for depression", "which_code", ["F32.A"]),
    q("which code for syncope", "which_code", ["R55"]),
    q("which code for a patient with cough", "which_code", ["R05.9"]),
    q("which code for dehydration", "which_code", ["E86.0"]),
    q("which code for sepsis", "which_code", ["A41.9"]),
    q("which code for atrial fibrillation", "which_code", ["I48.91"]),
    q("what is the correct code for insomnia", "which_code", ["G47.00"]),
    # --- can X and Y be reported together
    q("can E11.9 and E10.9 be coded together", "together", ["E11.9", "E10.9"], verdict="no"),
    q("Can E10.9 and E11.9 be reported together?", "together", ["E10.9", "E11.9"], verdict="no"),
    q("can J45.909 and R06.2 be billed together", "together", ["J45.909", "R06.2"], verdict="no"),
    q("can I10 and O10.019 be coded together?", "together", ["I10", "O10.019"], verdict="no"),
    q(
        "Can J44.1 and J45.909 be reported together",
        "together",
        ["J44.1", "J45.909"],
        verdict="yes",
    ),
    q("can J18.9 and J69.0 be reported together", "together", ["J18.9", "J69.0"], verdict="no"),
    q(
        "can S72.001A and S82.001A be coded together",
        "together",
        ["S72.001A", "S82.001A"],
        verdict="yes",
    ),
    q(
        "can S72.001A and S78.011A be coded together",
        "together",
        ["S72.001A", "S78.011A"],
        verdict="no",
    ),
    q(
        "Can F17.210 and Z72.0 be reported together?",
        "together",
        ["F17.210", "Z72.0"],
        verdict="no",
    ),
    q("Can E66.9 and Z68.41 be coded together?", "together", ["E66.9", "Z68.41"], verdict="yes"),
    q("can G43.909 and R51.9 be coded together", "together", ["G43.909", "R51.9"], verdict="no"),
    q("can F32.A and F33.9 be coded together", "together", ["F32.A", "F33.9"], verdict="no"),
    q("Can E11.9 and Z79.4 be reported together", "together", ["E11.9", "Z79.4"], verdict="yes"),
    q("can O24.410 and E11.9 be coded together", "together", ["O24.410", "E11.9"], verdict="no"),
    q("can J45.909 and J44.9 be coded together", "together", ["J45.909", "J44.9"], verdict="yes"),
    q("Can this be coded with E10.9?", "together", ["E11.9", "E10.9"], verdict="no", code="E11.9"),
    # --- X versus Y
    q("E11.9 vs E10.9", "compare", ["E11.9", "E10.9"]),
    q("What is the difference between J45.909 and J45.901?", "compare", ["J45.909", "J45.901"]),
    q("I10 versus I11.9", "compare", ["I10", "I11.9"]),
    q("difference between S72.001A and S72.001D", "compare", ["S72.001A", "S72.001D"]),
    q("Compare N18.6 and N18.5", "compare", ["N18.6", "N18.5"]),
    q("K21.9 vs K21.00", "compare", ["K21.9", "K21.00"]),
    q("R05.9 or R05.1?", "compare", ["R05.9", "R05.1"]),
    q("How does F32.A differ from F32.9?", "compare", ["F32.A", "F32.9"]),
    q("G43.909 vs G43.919", "compare", ["G43.909", "G43.919"]),
    q("E66.9 versus E66.01", "compare", ["E66.9", "E66.01"]),
    # --- which 7th character for a visit
    q(
        "which 7th character for a subsequent encounter",
        "seventh_character",
        ["S72.001D"],
        code="S72.001",
    ),
    q("Which 7th character for initial encounter for S72.001?", "seventh_character", ["S72.001A"]),
    q("7th character for a sequela of S72.001", "seventh_character", ["S72.001S"]),
    q(
        "which seventh character for an initial encounter for open fracture for S72.001",
        "seventh_character",
        ["S72.001B"],
    ),
    q(
        "which 7th character for subsequent encounter with nonunion for S72.001",
        "seventh_character",
        ["S72.001K"],
    ),
    q("7th character for initial encounter for S52.501", "seventh_character", ["S52.501A"]),
    q(
        "which 7th character for a subsequent encounter for T14.8",
        "seventh_character",
        ["T14.8XXD"],
    ),
    q(
        "which 7th character for initial encounter for S06.0X0",
        "seventh_character",
        ["S06.0X0A"],
    ),
    q("7th character for a follow-up visit for S93.401", "seventh_character", ["S93.401D"]),
    q(
        "which 7th character for the initial encounter for T78.40",
        "seventh_character",
        ["T78.40XA"],
    ),
    q("which 7th character for a sequela of S01.81", "seventh_character", ["S01.81XS"]),
    q(
        "For S42.001 which 7th character for a subsequent visit with delayed healing",
        "seventh_character",
        ["S42.001G"],
    ),
    # --- what to code first
    q("What must be coded first with N18.6?", "code_first", ["N18.6"], mentions=["I12"]),
    q("what should I code first for E08.9", "code_first", ["E08.9"]),
    q("code first for F02.80", "code_first", ["F02.80"], mentions=["G30"]),
    q("What is sequenced first with R65.20?", "code_first", ["R65.20"]),
    q("code first for J91.8", "code_first", ["J91.8"]),
    q("which code first for L99", "code_first", ["L99"]),
    q("what to code first with D63.1", "code_first", ["D63.1"], mentions=["N18"]),
    q("what do I code first with G63", "code_first", ["G63"]),
    # --- what to code in addition
    q(
        "What additional codes go with J45.909?",
        "use_additional",
        ["J45.909"],
        mentions=["Z77.22"],
    ),
    q("What else should be coded with E11.9?", "use_additional", ["E11.9"], mentions=["Z79.4"]),
    q("use additional code for N39.0", "use_additional", ["N39.0"], mentions=["B95"]),
    q("what should also be coded with F10.20", "use_additional", ["F10.20"], mentions=["Y90"]),
    q("What additional code is needed with E66.9", "use_additional", ["E66.9"], mentions=["Z68"]),
    q("What else do I code with J44.1", "use_additional", ["J44.1"], mentions=["J45"]),
    q("What else should be coded with K70.30?", "use_additional", ["K70.30"], mentions=["F10"]),
    # --- what changed, and when
    q("What changed in J45.909?", "history", ["J45.909"]),
    q("when was U07.1 added", "history", ["U07.1"]),
    q("history of E11.9", "history", ["E11.9"]),
    q("What changed in F32.A and when?", "history", ["F32.A"]),
    q("When was M54.50 introduced?", "history", ["M54.50"]),
    q("was I10 revised?", "history", ["I10"]),
    q("When was R05.9 added", "history", ["R05.9"]),
    q("What changed in this code?", "history", ["S72.001A"], code="S72.001A"),
    # --- what the notes say about a topic in a chapter or category
    q(
        "What do the notes say about tobacco in category J45?",
        "notes_topic",
        ["J45"],
        mentions=["Z77.22"],
    ),
    q(
        "what do the notes say about insulin in category E11",
        "notes_topic",
        ["E11"],
        mentions=["Z79.4"],
    ),
    q("What do the notes say about pregnancy in category I10", "notes_topic", ["I10"]),
    q("what do the notes say about alcohol in chapter 5", "notes_topic", ["F10"]),
    q("what do the notes say about the 7th character in category S72", "notes_topic", ["S72"]),
    q("What do the notes say about BMI in category E66", "notes_topic", ["E66"], mentions=["Z68"]),
    q("what do the notes say about infectious agent in category N39", "notes_topic", ["N39.0"]),
    q(
        "What do the notes say about gestational diabetes in category E11?",
        "notes_topic",
        ["E11"],
        mentions=["O24.4"],
    ),
    q(
        "What do the notes say about wheezing in category J45",
        "notes_topic",
        ["J45"],
        mentions=["R06.2"],
    ),
    q("what do the notes say about dialysis in category N18", "notes_topic", ["N18.6"]),
    q("What do the notes say about hypertension in chapter 9?", "notes_topic", ["I10"]),
    # --- outside the content: say so, cite nothing
    q("Who won the football last night?", "out_of_scope"),
    q("What's the weather in Boston?", "out_of_scope"),
    q("How much does Medicare pay for J18.9?", "out_of_scope"),
    q("Write me a poem about coding", "out_of_scope"),
    q("What is the RVU for 99213?", "out_of_scope"),
    q("Is J18.9 covered by my insurance?", "out_of_scope"),
    q("Tell me a joke", "out_of_scope"),
    q("What is the capital of France?", "out_of_scope"),
    q("Should I prescribe amoxicillin for pneumonia?", "out_of_scope"),
    q("How do I reset my password?", "out_of_scope"),
    q("What modifier should I use with 99213?", "out_of_scope"),
    q("Which NDC for insulin glargine?", "out_of_scope"),
    q("what is the prognosis of E11.9", "out_of_scope"),
]


def half(question: str) -> str:
    digest = hashlib.sha256(f"{SEED}:{question}".encode()).digest()
    return "held_out" if digest[0] % 2 else "dev"


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    import django

    django.setup()
    from django.conf import settings

    # One client asks every question: its throttle must not be what is measured.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    rates["assistant_user"] = rates["assistant_key"] = "1000000/min"
    settings.ALLOWED_HOSTS = ["*"]


def in_content(code: str) -> bool:
    from codes.models import CodeEntry

    return CodeEntry.objects.filter(system="icd10cm", code=code, in_force=True).exists()


def check_content() -> None:
    from codes.models import CodeEntry

    count = CodeEntry.objects.filter(system="icd10cm").count()
    if count < FULL_IMPORT:
        sys.exit(f"the database holds {count} ICD-10-CM codes; the bench needs the full import")
    missing = sorted({c for item in QUESTIONS for c in item["codes"] if not in_content(c)})
    if missing:
        sys.exit(f"judged codes that are not in the content: {', '.join(missing)}")


def judge(item: dict, body: dict) -> tuple[bool, list[str]]:
    """(right, why not) for one answer."""
    why = []
    if body["intent"] != item["intent"]:
        why.append(f"intent {body['intent']}")
    cited = {c["code"] for c in body["citations"]}
    if item["intent"] == "out_of_scope" and cited:
        why.append(f"cites {sorted(cited)}")
    if lost := [c for c in item["codes"] if c not in cited]:
        why.append(f"does not cite {lost}")
    if item["verdict"]:
        said = "no" if body["answer"].startswith("No.") else "yes"
        if said != item["verdict"]:
            why.append(f"says {said}")
    if lost := [m for m in item["mentions"] if m not in body["answer"]]:
        why.append(f"does not name {lost}")
    return not why, why


def baseline(item: dict) -> dict:
    """A keyword lookup: the first code named (what_is), else the index's first entry."""
    from alphabetic_index.selectors import index_release, index_search
    from assistant.intents import named_codes

    codes = named_codes(item["q"], "icd10cm") or ([item["code"]] if item["code"] else [])
    if codes:
        cited = [codes[0]] if in_content(codes[0]) else []
        return {"intent": "what_is", "answer": "", "citations": [{"code": c} for c in cited]}
    words = " ".join(w for w in item["q"].lower().strip("?").split() if len(w) > 3)
    entries = index_search(release=index_release(system="icd10cm"), term=words, limit=1)
    code = (entries[0].attached_code or entries[0].resolved_code) if entries else ""
    cited = [{"code": code}] if code and in_content(code) else []
    return {"intent": "which_code", "answer": "", "citations": cited}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=["dev", "held_out", "all"], default="all")
    parser.add_argument("--show", action="store_true", help="print every wrong answer")
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from codes.selectors import code_current

    check_content()
    user, _ = User.objects.get_or_create(username="bench-assistant")
    client = Client()
    client.force_login(user)
    chosen = [i for i in QUESTIONS if args.half in ("all", half(i["q"]))]
    rows, latencies, floor = [], [], []
    for item in chosen:
        body = {"question": item["q"], **({"code": item["code"]} if item["code"] else {})}
        client.post("/api/v1/assistant/ask", body, content_type="application/json")  # warm
        started = time.perf_counter()
        response = client.post("/api/v1/assistant/ask", body, content_type="application/json")
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{item['q']!r}: {response.status_code} {response.content[:300]!r}")
        answer = response.json()
        ours, why = judge(item, answer)
        theirs, _ = judge(item, baseline(item))
        foreign = [c["code"] for c in answer["citations"] if not in_content(c["code"])]
        rows.append((item, ours, theirs, foreign, why, answer))
        started = time.perf_counter()
        code_current(system="icd10cm", code=(item["codes"] or ["J18.9"])[0])
        floor.append((time.perf_counter() - started) * 1000)

    print(f"{len(chosen)} judged questions ({len(QUESTIONS)} in the set), seed {SEED!r}\n")
    print(f"{'half':<10}{'n':>5}{'right (ours)':>15}{'right (baseline)':>19}{'foreign cites':>16}")
    for name in ("dev", "held_out", "all"):
        part = [r for r in rows if name == "all" or half(r[0]["q"]) == name]
        if not part:
            continue
        ours = sum(r[1] for r in part) / len(part)
        theirs = sum(r[2] for r in part) / len(part)
        foreign = sum(1 for r in part if r[3])
        print(f"{name:<10}{len(part):>5}{ours:>14.1%}{theirs:>19.1%}{foreign:>16}")
    print("\nby intent (all chosen): right / n")
    for intent in dict.fromkeys(i["intent"] for i in chosen):
        part = [r for r in rows if r[0]["intent"] == intent]
        print(f"  {intent:<20}{sum(r[1] for r in part):>4} / {len(part)}")
    print(
        f"\nlatency at one client, ms: ours p50 {statistics.median(latencies):.1f}, "
        f"p95 {percentile(latencies, 0.95):.1f}, max {max(latencies):.1f}; "
        f"floor (one code read) p50 {statistics.median(floor):.2f}, "
        f"p95 {percentile(floor, 0.95):.2f}"
    )
    held = [r for r in rows if half(r[0]["q"]) == "held_out"]
    if held:
        right = sum(r[1] for r in held) / len(held)
        print(
            f"aims: held-out right {right:.1%} (>= {AIM_RIGHT:.0%}), foreign citations "
            f"{sum(1 for r in rows if r[3])} (0), p95 {percentile(latencies, 0.95):.0f} ms "
            f"(<= {AIM_P95_MS})"
        )
    if args.show:
        for item, ours, _, foreign, why, answer in rows:
            if not ours or foreign:
                print(f"\n[{half(item['q'])}] {item['q']!r}: {'; '.join(why)} {foreign or ''}")
                print(f"   {answer['intent']}: {answer['answer'][:300]}")


if __name__ == "__main__":
    main()
