"""Checking code lists (POST /api/v1/codes/check) on the full ICD-10-CM import: judged lists,
findings found, missed and false, next to a baseline, and the time a check takes.

The judged lists (LISTS below) were written by hand on 2026-12-07 from the ICD-10-CM tabular
(April 2026, as `simple-icd-10-cm` ships it): the instructional notes of each code, of its
parent codes up to the category, of its block and of its chapter, read as a coder reads them,
before the check was run on them; they have not been edited to fit its answers. Each list says
what a right check finds:
- `unknown`, `not_in_force`, `header`, `seventh_character`: the codes with that finding;
- `excludes1`, `excludes2`: the pairs of listed codes an Excludes note keeps apart (either
  code's notes naming the other, the code's own or inherited); a pair may carry both kinds;
- `code_first`, `use_additional`: (the code with the instruction, the listed code that
  satisfies it, or None when none does; a code first is satisfied only by a code listed before).
The first six kinds are judged in full: a finding of those kinds the judgement does not list is
false. Code first and use additional are judged where stated (chapters carry instructions on
every code, "code to identify any retained foreign body, if applicable"): other findings of
those kinds are counted apart, as unjudged. Lists are checked on 2026-05-01 (the April 2026
release in force) unless they say otherwise; `not_in_force` lists use days before ICD-10-CM
came into use (2015-10-01) or before the code was added (E11.A: 2023-10-01, M54.50:
2021-10-01, U07.1: 2020-04-01), which are true whatever the release on the platform.

Halves: a list is held out when the first byte of sha256(SEED + ':' + its codes and day) is
odd, development otherwise: fixed per list, decided once, before any tuning. `--show` prints
the misses and false findings of the development half only; the aim is read on the held-out
half (and overall).

Figures, for ours and for the baseline, per half and overall, and per kind:
- found / missed: judged findings returned or not (aim: every one found);
- false: findings of the fully judged kinds that the judgement does not list; false Excludes1
  apart (aim: 0): telling a coder to drop a code they may report is the costliest error;
- valid: lists whose `valid` agrees with the judgement (a list is valid when it has none of
  unknown, not_in_force, header, seventh_character, excludes1).
The baseline is what the code pages said before inherited notes: each code's own notes only,
the codes they name as the import keeps them (`codes.references.references`: single codes and
families, no ranges), matched in both directions; a code that is not billable is a header;
today's read model, whatever the date of service. Latency: the check of each list through the
whole Django stack (django.test.Client, an editor's session), p50/p95, next to the floor of
reading each listed code once (`codes.selectors.code_current`, the ORM).

Run from the repository root against a database holding the full import
(`manage.py codes_import icd10cm-2026`), e.g.:
    DATABASE_URL=sqlite:////tmp/check-bench/full.sqlite3 ELASTICSEARCH_URL=http://127.0.0.1:9 \\
    .venv/bin/python bench/check.py [--show]
"""

import argparse
import contextlib
import hashlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform"))

SEED = "check-split-2026-12-07"
FULL_IMPORT = 90_000
DAY = date(2026, 5, 1)
BLOCKING = ("unknown", "not_in_force", "header", "seventh_character", "excludes1")
FULL_KINDS = (*BLOCKING, "excludes2")
INSTRUCTIONS = ("code_first", "use_additional")
KINDS = (*FULL_KINDS, *INSTRUCTIONS)


@dataclass(frozen=True)
class Judged:
    codes: tuple[str, ...]
    expected: tuple[tuple, ...]
    day: date = DAY
    why: str = ""

    @property
    def key(self) -> str:
        return f"{','.join(self.codes)}@{self.day.isoformat()}"

    @property
    def half(self) -> str:
        digest = hashlib.sha256(f"{SEED}:{self.key}".encode()).digest()
        return "held_out" if digest[0] % 2 else "dev"

    @property
    def valid(self) -> bool:
        return not any(item[0] in BLOCKING for item in self.expected)


def L(codes, *expected, day=DAY, why=""):
    return Judged(tuple(codes), tuple(expected), day, why)


# Every pair and instruction below was read off the tabular's notes (the note is quoted short).
LISTS = [
    # --- Excludes1, between categories, in one direction or both -------------------------------
    L(
        ["E10.9", "E11.9"],
        ("excludes1", "E10.9", "E11.9"),
        ("use_additional", "E11.9", None),
        why="E10: Excludes1 type 2 (E11.-); E11: Excludes1 type 1 (E10.-)",
    ),
    L(
        ["E11.9", "E11.A"],
        ("excludes1", "E11.9", "E11.A"),
        ("use_additional", "E11.9", None),
        why="E11.9: Excludes1 ... without complications in remission (E11.A)",
    ),
    L(
        ["E10.9", "R73.9"],
        ("excludes1", "E10.9", "R73.9"),
        why="E10: Excludes1 hyperglycemia NOS (R73.9); R73: Excludes1 diabetes (E08-E13)",
    ),
    L(
        ["E11.9", "R73.9"],
        ("excludes1", "E11.9", "R73.9"),
        ("use_additional", "E11.9", None),
        why="R73: Excludes1 diabetes mellitus (E08-E13): a range, one direction",
    ),
    L(
        ["F10.20", "F10.10"],
        ("excludes1", "F10.20", "F10.10"),
        why="F10.2: Excludes1 alcohol abuse (F10.1-); F10.1: Excludes1 dependence (F10.2-)",
    ),
    L(
        ["F10.20", "F10.90"],
        ("excludes1", "F10.20", "F10.90"),
        why="F10.2: Excludes1 alcohol use, unspecified (F10.9-)",
    ),
    L(
        ["J45.909", "R06.2"],
        ("excludes1", "J45.909", "R06.2"),
        ("excludes2", "J45.909", "R06.2"),
        why="J45: Excludes1 wheezing NOS (R06.2); chapter 10: Excludes2 symptoms (R00-R94)",
    ),
    L(
        ["J45.909", "J60"],
        ("excludes1", "J45.909", "J60"),
        ("excludes2", "J45.909", "J60"),
        why="J45: Excludes1 miner's asthma (J60); J45.909: Excludes2 (J60-J70)",
    ),
    L(
        ["K29.70", "K52.81"],
        ("excludes1", "K29.70", "K52.81"),
        why="K29: Excludes1 eosinophilic gastritis or gastroenteritis (K52.81)",
    ),
    L(
        ["R10.9", "N23"],
        ("excludes1", "R10.9", "N23"),
        ("excludes2", "R10.9", "N23"),
        why="R10: Excludes1 renal colic (N23); chapter 14: Excludes2 symptoms (R00-R94)",
    ),
    L(
        ["K21.9", "P78.83"],
        ("excludes1", "K21.9", "P78.83"),
        ("excludes2", "K21.9", "P78.83"),
        why="K21: Excludes1 newborn esophageal reflux (P78.83); chapter 11: Excludes2 (P04-P96)",
    ),
    L(
        ["E11.9", "O24.410"],
        ("excludes1", "E11.9", "O24.410"),
        ("use_additional", "E11.9", None),
        ("use_additional", "O24.410", None),
        why="E11: Excludes1 gestational diabetes (O24.4-); chapter 15: use additional Z3A",
    ),
    L(
        ["E11.9", "P70.2"],
        ("excludes1", "E11.9", "P70.2"),
        ("excludes2", "E11.9", "P70.2"),
        why="E11: Excludes1 neonatal diabetes (P70.2); chapter 16: Excludes2 (E00-E88)",
    ),
    L(
        ["O24.410", "Z34.80"],
        ("excludes1", "O24.410", "Z34.80"),
        why="chapter 15: Excludes1 supervision of normal pregnancy (Z34.-)",
    ),
    L(
        ["M54.50", "M54.42"],
        ("excludes1", "M54.50", "M54.42"),
        why="M54.5: Excludes1 lumbago with sciatica (M54.4-)",
    ),
    L(
        ["M54.50", "S39.012A"],
        ("excludes1", "M54.50", "S39.012A"),
        ("excludes2", "M54.50", "S39.012A"),
        why="M54.5: Excludes1 low back strain (S39.012); chapter 13: Excludes2 (S00-T88)",
    ),
    L(
        ["M54.50", "F45.41"],
        ("excludes1", "M54.50", "F45.41"),
        why="M54: Excludes1 psychogenic dorsalgia (F45.41)",
    ),
    L(
        ["I10", "O10.019"],
        ("excludes1", "I10", "O10.019"),
        ("excludes2", "I10", "O10.019"),
        ("use_additional", "O10.019", None),
        why="I10: Excludes1 (O10-O11, O13-O16); block I10-I1A and chapter 9: Excludes2",
    ),
    L(
        ["I10", "I27.0"],
        ("excludes1", "I10", "I27.0"),
        why="block I10-I1A: Excludes1 primary pulmonary hypertension (I27.0)",
    ),
    L(
        ["S91.001A", "S92.001B"],
        ("excludes1", "S91.001A", "S92.001B"),
        why="S91: Excludes1 open fracture of ankle, foot and toes (S92.-with 7th character B)",
    ),
    L(
        ["S06.0X0A", "F07.81"],
        ("excludes1", "S06.0X0A", "F07.81"),
        ("use_additional", "F07.81", None),
        why="F07.81: Excludes1 current concussion (S06.0X- with seventh character A)",
    ),
    L(
        ["I69.323", "R47.82"],
        ("excludes1", "I69.323", "R47.82"),
        ("excludes2", "I69.323", "R47.82"),
        ("code_first", "R47.82", None),
        why="R47.82: Excludes1 (I69. with final characters -23); chapter 9: Excludes2 (R00-R94)",
    ),
    L(
        ["F12.151", "R44.0"],
        ("excludes1", "F12.151", "R44.0"),
        ("excludes2", "F12.151", "R44.0"),
        why="R44: Excludes1 (F11-F19 with fifth to sixth characters 51); R40-R46: Excludes2",
    ),
    L(
        ["G63", "E11.42"],
        ("excludes1", "G63", "E11.42"),
        ("excludes2", "G63", "E11.42"),
        ("code_first", "G63", None),
        ("use_additional", "E11.42", None),
        why="G63: Excludes1 polyneuropathy in diabetes (E08-E13 with .42); chapter 6: (E00-E88)",
    ),
    L(
        ["B27.01", "G63"],
        ("excludes1", "B27.01", "G63"),
        ("excludes2", "B27.01", "G63"),
        ("code_first", "G63", None),
        why="G63: Excludes1 (B27.0-B27.9 with fifth character 1); chapter 6: Excludes2 (A00-B99)",
    ),
    # --- qualified notes that do not apply: no Excludes1 -------------------------------------
    L(
        ["E11.40", "G63"],
        ("excludes2", "E11.40", "G63"),
        ("code_first", "G63", None),
        why="G63's Excludes1 names only .42 of E08-E13; chapter 6: Excludes2 (E00-E88)",
    ),
    L(
        ["B27.09", "G63"],
        ("excludes2", "B27.09", "G63"),
        ("code_first", "G63", None),
        why="B27.09 has 9 in fifth place; chapter 6: Excludes2 (A00-B99)",
    ),
    L(
        ["S06.0X0D", "F07.81"],
        ("use_additional", "F07.81", None),
        why="F07.81's Excludes1 is for the initial encounter (A) only",
    ),
    L(
        ["I69.320", "R47.82"],
        ("excludes2", "I69.320", "R47.82"),
        ("code_first", "R47.82", None),
        why="R47.82 excludes -23 (fluency), R47.8 -28; I69.320 ends -20 (aphasia)",
    ),
    L(
        ["F12.150", "R44.0"],
        ("excludes2", "F12.150", "R44.0"),
        why="R44 excludes the -51 codes (hallucinations); F12.150 is with delusions",
    ),
    L(["S91.001A", "S92.001A"], why="S91 excludes the open fractures (B) only"),
    # --- Excludes2 alone ------------------------------------------------------------------
    L(
        ["J45.909", "J44.89"],
        ("excludes2", "J45.909", "J44.89"),
        why="J45: Excludes2 asthma with COPD (J44.89)",
    ),
    L(
        ["I50.9", "I46.9"],
        ("excludes2", "I50.9", "I46.9"),
        ("code_first", "I50.9", None),
        why="I50: Excludes2 cardiac arrest (I46.-)",
    ),
    L(
        ["E11.9", "Z79.4", "Z79.84"],
        ("excludes2", "Z79.4", "Z79.84"),
        ("use_additional", "E11.9", "Z79.4"),
        why="Z79.4: Excludes2 oral hypoglycemic drugs (Z79.84), and Z79.84 the other way",
    ),
    L(
        ["I10", "E11.9"],
        ("excludes2", "I10", "E11.9"),
        ("use_additional", "E11.9", None),
        why="chapter 9: Excludes2 endocrine, nutritional and metabolic diseases (E00-E88)",
    ),
    L(
        ["U07.1", "J12.81"],
        ("excludes2", "U07.1", "J12.81"),
        ("use_additional", "U07.1", None),
        why="U07.1: Excludes2 pneumonia due to SARS-associated coronavirus (J12.81)",
    ),
    # --- code first and use additional --------------------------------------------------------
    L(
        ["E11.9", "Z79.4"],
        ("use_additional", "E11.9", "Z79.4"),
        why="E11: use additional code to identify control using: insulin (Z79.4)",
    ),
    L(
        ["E85.4", "G63"],
        ("excludes2", "E85.4", "G63"),
        ("code_first", "G63", "E85.4"),
        why="G63: code first underlying disease, such as amyloidosis (E85.-)",
    ),
    L(
        ["G63", "E85.4"],
        ("excludes2", "E85.4", "G63"),
        ("code_first", "G63", None),
        why="the underlying disease is listed after the manifestation",
    ),
    L(
        ["I11.0", "I50.9"],
        ("code_first", "I50.9", "I11.0"),
        ("use_additional", "I11.0", "I50.9"),
        why="I50: code first heart failure due to hypertension (I11.0); I11.0: use additional",
    ),
    L(
        ["I50.9", "I11.0"],
        ("code_first", "I50.9", None),
        ("use_additional", "I11.0", "I50.9"),
        why="I11.0 listed after I50.9",
    ),
    L(
        ["E11.22", "N18.4"],
        ("excludes2", "E11.22", "N18.4"),
        ("code_first", "N18.4", "E11.22"),
        ("use_additional", "E11.22", "N18.4"),
        why="N18: code first diabetic CKD (E11.22); E11.22: use additional (N18.1-N18.6)",
    ),
    L(
        ["N18.4", "E11.22"],
        ("excludes2", "E11.22", "N18.4"),
        ("code_first", "N18.4", None),
        ("use_additional", "E11.22", "N18.4"),
        why="the diabetic CKD listed after the stage",
    ),
    L(
        ["I12.9", "N18.4"],
        ("code_first", "N18.4", "I12.9"),
        ("use_additional", "I12.9", "N18.4"),
        why="I12.9: use additional (N18.1-N18.4, N18.9); N18: code first (I12.-)",
    ),
    L(
        ["I12.9", "N18.5"],
        ("code_first", "N18.5", "I12.9"),
        ("use_additional", "I12.9", None),
        why="I12.9's stage range stops at N18.4: stage 5 is I12.0",
    ),
    L(
        ["U07.1", "J12.82"],
        ("code_first", "J12.82", "U07.1"),
        ("use_additional", "U07.1", "J12.82"),
        why="J12.82: code first COVID-19 (U07.1); U07.1: use additional pneumonia (J12.82)",
    ),
    L(
        ["J12.82", "U07.1"],
        ("code_first", "J12.82", None),
        ("use_additional", "U07.1", "J12.82"),
        why="COVID-19 listed after its pneumonia",
    ),
    L(
        ["F10.20", "Y90.4"],
        ("use_additional", "F10.20", "Y90.4"),
        ("code_first", "Y90.4", "F10.20"),
        why="F10: use additional blood alcohol level (Y90.-); Y90: code first (F10)",
    ),
    L(
        ["Y90.4", "F10.20"],
        ("use_additional", "F10.20", "Y90.4"),
        ("code_first", "Y90.4", None),
        why="the alcohol related disorder listed after Y90.4",
    ),
    L(
        ["O24.410", "Z3A.28"],
        ("use_additional", "O24.410", "Z3A.28"),
        ("code_first", "Z3A.28", "O24.410"),
        why="chapter 15: use additional ... from category Z3A; Z3A: code first (O09-O60, ...)",
    ),
    L(
        ["J45.909", "F17.210"],
        ("use_additional", "J45.909", "F17.210"),
        why="J45: use additional code to identify tobacco dependence (F17.-)",
    ),
    # --- headers and 7th characters -----------------------------------------------------------
    L(["E11"], ("header", "E11")),
    L(["E11.6"], ("header", "E11.6")),
    L(["M54.5"], ("header", "M54.5"), why="M54.5 has been a header since 2021-10-01"),
    L(["J45.90"], ("header", "J45.90")),
    L(["S72.00"], ("header", "S72.00"), why="its children S72.001 ... still need a 7th character"),
    L(["I50", "I10"], ("header", "I50")),
    L(["S72.001"], ("seventh_character", "S72.001")),
    L(["S82.001"], ("seventh_character", "S82.001")),
    L(["S06.0X0"], ("seventh_character", "S06.0X0")),
    L(["T38.3X1"], ("seventh_character", "T38.3X1")),
    L(["S39.012"], ("seventh_character", "S39.012")),
    L(["S72.001A", "S72.001"], ("seventh_character", "S72.001")),
    # --- unknown codes and dates of service ---------------------------------------------------
    L(["E11.99"], ("unknown", "E11.99")),
    L(["S72.001Z"], ("unknown", "S72.001Z")),
    L(["A00.3"], ("unknown", "A00.3")),
    L(["E11.9", "J45.999", "Z79.4"], ("unknown", "J45.999"), ("use_additional", "E11.9", "Z79.4")),
    L(
        ["E11.9"],
        ("not_in_force", "E11.9"),
        day=date(2015, 9, 30),
        why="before ICD-10-CM came into use",
    ),
    L(
        ["E10.9", "E11.9"],
        ("not_in_force", "E10.9"),
        ("not_in_force", "E11.9"),
        day=date(2015, 9, 30),
        why="neither in force: no Excludes1 between codes not in force",
    ),
    L(["E11.A"], ("not_in_force", "E11.A"), day=date(2023, 9, 30), why="added 2023-10-01"),
    L(["M54.50"], ("not_in_force", "M54.50"), day=date(2021, 9, 30), why="added 2021-10-01"),
    L(["U07.1"], ("not_in_force", "U07.1"), day=date(2020, 3, 31), why="added 2020-04-01"),
]


# --- what a check answered, scored against the judgement ---------------------------------------


def matches(item: tuple, finding: dict) -> bool:
    kind, codes = item[0], finding["codes"]
    if kind != finding["kind"]:
        return False
    if kind in ("excludes1", "excludes2"):
        return set(item[1:]) == set(codes)
    if kind in INSTRUCTIONS:
        carrier, satisfier = item[1], item[2]
        if codes[0] != carrier:
            return False
        if satisfier is None:
            return finding["satisfied"] is False
        return bool(finding["satisfied"]) and satisfier in codes[1:]
    return codes == [item[1]]


@dataclass
class Score:
    found: dict
    missed: dict
    false: dict
    unjudged: int = 0
    valid_right: int = 0
    lists: int = 0

    @classmethod
    def empty(cls):
        return cls({k: 0 for k in KINDS}, {k: 0 for k in KINDS}, {k: 0 for k in FULL_KINDS})

    def add(self, judged: Judged, findings: list[dict], valid: bool) -> list[str]:
        """Score one list; returns what went wrong, in words."""
        wrong = []
        self.lists += 1
        self.valid_right += valid == judged.valid
        for item in judged.expected:
            if any(matches(item, f) for f in findings):
                self.found[item[0]] += 1
            else:
                self.missed[item[0]] += 1
                wrong.append(f"missed {item}")
        for finding in findings:
            if any(matches(item, finding) for item in judged.expected):
                continue
            if finding["kind"] in FULL_KINDS:
                self.false[finding["kind"]] += 1
                wrong.append(f"false {finding['kind']} {finding['codes']}: {finding['message']}")
            else:
                self.unjudged += 1
        if valid != judged.valid:
            wrong.append(f"valid {valid}, judged {judged.valid}")
        return wrong


# --- ours and the baseline ---------------------------------------------------------------------


def ours(client, judged: Judged) -> tuple[list[dict], bool]:
    answer = client.post(
        "/api/v1/codes/check",
        {"system": "icd10cm", "codes": list(judged.codes), "date_of_service": str(judged.day)},
        content_type="application/json",
    )
    if answer.status_code != 200:
        raise SystemExit(f"{judged.key}: {answer.status_code} {answer.content[:300]!r}")
    body = answer.json()
    return body["findings"], body["valid"]


def baseline(judged: Judged) -> tuple[list[dict], bool]:
    """Each code's own notes, the codes they name as the import keeps them, today's rows."""
    from codes.models import CodeEntry
    from codes.references import references

    rows = {e.code: e for e in CodeEntry.objects.filter(system="icd10cm", code__in=judged.codes)}
    findings = []

    def finding(kind, codes, satisfied=None):
        findings.append({"kind": kind, "codes": list(codes), "satisfied": satisfied, "message": ""})

    listed = []
    for code in judged.codes:
        row = rows.get(code)
        if row is None:
            finding("unknown", [code])
        elif not row.billable:
            finding("header", [code])
        else:
            listed.append(row)

    def names(row, kind) -> list[str]:
        return [
            ref for text in row.content.get("notes", {}).get(kind, []) for ref in references(text)
        ]

    def covers(ref: str, code: str) -> bool:
        stem = ref.rstrip("-").rstrip(".").replace(".", "")
        return code.replace(".", "").startswith(stem)

    for kind in ("excludes1", "excludes2"):
        for i, first in enumerate(listed):
            for second in listed[i + 1 :]:
                if any(covers(r, second.code) for r in names(first, kind)) or any(
                    covers(r, first.code) for r in names(second, kind)
                ):
                    finding(kind, [first.code, second.code])
    for kind in INSTRUCTIONS:
        for row in listed:
            refs = names(row, kind)
            if not refs:
                continue
            hits = [o.code for o in listed if o is not row and any(covers(r, o.code) for r in refs)]
            finding(kind, [row.code, *hits], bool(hits))
    return findings, not any(f["kind"] in BLOCKING for f in findings)


# --- the run --------------------------------------------------------------------------------


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    import django

    django.setup()
    from django.conf import settings

    # One client checks every list: its throttle must not be what is measured.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    for name in ("check_key", "check_user", "check_anon"):
        rates[name] = "1000000/min"
    settings.ALLOWED_HOSTS = ["*"]


def check_content() -> None:
    from codes.models import CodeEntry

    count = CodeEntry.objects.filter(system="icd10cm").count()
    if count < FULL_IMPORT:
        sys.exit(f"the database holds {count} ICD-10-CM codes; the bench needs the full import")
    kinds = {item[0] for judged in LISTS for item in judged.expected}
    if missing := set(KINDS) - kinds:
        sys.exit(f"no judged list covers {', '.join(sorted(missing))}")


def editor_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="check-bench")
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    client = Client()
    client.force_login(user)
    return client


def floor(judged: Judged) -> None:
    from codeledger.domain import NotFound
    from codes.selectors import code_current

    for code in judged.codes:
        with contextlib.suppress(NotFound):
            code_current(system="icd10cm", code=code)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, scores: dict[str, Score]) -> None:
    print(f"\n{name}")
    print(
        f"{'half':<10}{'lists':>6}{'found':>7}{'missed':>8}{'false':>7}{'false EX1':>11}"
        f"{'valid ok':>10}{'unjudged':>10}"
    )
    for half, s in scores.items():
        found, missed, false = sum(s.found.values()), sum(s.missed.values()), sum(s.false.values())
        print(
            f"{half:<10}{s.lists:>6}{found:>7}{missed:>8}{false:>7}{s.false['excludes1']:>11}"
            f"{s.valid_right:>10}{s.unjudged:>10}"
        )
    total = scores["all"]
    print(f"{'kind':<20}{'found':>7}{'missed':>8}{'false':>7}")
    for kind in KINDS:
        false = total.false.get(kind, "-")
        print(f"{kind:<20}{total.found[kind]:>7}{total.missed[kind]:>8}{false!s:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="what went wrong (development half)")
    args = parser.parse_args()
    setup()
    check_content()
    client = editor_client()
    systems = {"ours": {}, "baseline": {}}
    for scores in systems.values():
        for half in ("dev", "held_out", "all"):
            scores[half] = Score.empty()
    timings, floors = [], []
    for judged in LISTS:
        ours(client, judged)  # warm: the first read of a stream is not what is measured
        started = time.perf_counter()
        findings, valid = ours(client, judged)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        floor(judged)
        floors.append((time.perf_counter() - started) * 1000)
        for name, (found, ok) in (("ours", (findings, valid)), ("baseline", baseline(judged))):
            for half in (judged.half, "all"):
                wrong = systems[name][half].add(judged, found, ok)
            if args.show and name == "ours" and judged.half == "dev" and wrong:
                print(f"- {judged.key} ({judged.why})")
                for line in wrong:
                    print(f"    {line}")
    held = sum(judged.half == "held_out" for judged in LISTS)
    kinds = len({item[0] for judged in LISTS for item in judged.expected})
    print(f"{len(LISTS)} judged lists ({held} held out), {kinds} finding kinds covered")
    report("ours: POST /api/v1/codes/check", systems["ours"])
    report("baseline: own notes only, import's related codes, no dates", systems["baseline"])
    print(
        f"\nlatency per list (ms)   p50 {statistics.median(timings):7.1f}   "
        f"p95 {percentile(timings, 0.95):7.1f}"
    )
    print(
        f"floor: each code read   p50 {statistics.median(floors):7.1f}   "
        f"p95 {percentile(floors, 0.95):7.1f}"
    )


if __name__ == "__main__":
    main()
