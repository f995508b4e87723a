"""A small ICD-10-CM code set for checks: codes and notes copied from the April 2026 tabular
(as `codesets.sources` imports it: notes on the code where the tabular writes them, one line
per note; chapter 9 and block I10-I1A as sections), trimmed to what the checks read; plus two
codes whose dates are made up for the test (E11.A in force only from 2026-10-01, E11.8 retired
on 2026-01-01)."""

from datetime import date

from codes.events import CodeRetired
from codes.sections import SectionRecorded
from codes.streams import code_stream, section_stream
from codesets.actions import code_register
from events.store import NO_STREAM, NewEvent, StreamAppend, append, append_streams
from events.testing import catch_up_each
from tests.codes.fractures import FRACTURES

DIABETES_EXCLUDES1 = [
    "diabetes mellitus due to underlying condition (E08.-)",
    "drug or chemical induced diabetes mellitus (E09.-)",
    "gestational diabetes (O24.4-)",
    "neonatal diabetes mellitus (P70.2)",
    "postpancreatectomy diabetes mellitus (E13.-)",
    "postprocedural diabetes mellitus (E13.-)",
    "secondary diabetes mellitus NEC (E13.-)",
]
TYPE_1_NOTE = "type 1 diabetes mellitus (E10.-)"
TYPE_2_NOTE = "type 2 diabetes mellitus (E11.-)"
CONTROL_LEAD = "code to identify control using:"
POLYNEUROPATHY_DIABETES = "diabetes mellitus (E08-E13 with .42)"
ASTHMA_COPD = "asthma with chronic obstructive pulmonary disease (J44.89)"
CKD_LEAD = "any associated:"
CIRCULATORY = "Diseases of the circulatory system (I00-I99)"
PULMONARY_HYPERTENSION = "primary pulmonary hypertension (I27.0)"
ENDOCRINE = "endocrine, nutritional and metabolic diseases (E00-E88)"

CODES = {
    "E10": {
        "official_descriptor": "Type 1 diabetes mellitus",
        "notes": {"excludes1": [*DIABETES_EXCLUDES1, "hyperglycemia NOS (R73.9)", TYPE_2_NOTE]},
    },
    "E10.9": {
        "official_descriptor": "Type 1 diabetes mellitus without complications",
        "parent": "E10",
        "billable": True,
    },
    "E11": {
        "official_descriptor": "Type 2 diabetes mellitus",
        "notes": {
            "excludes1": [*DIABETES_EXCLUDES1, TYPE_1_NOTE],
            "use_additional": [
                CONTROL_LEAD,
                "injectable non-insulin antidiabetic drugs (Z79.85)",
                "insulin (Z79.4)",
                "oral antidiabetic drugs (Z79.84)",
                "oral hypoglycemic drugs (Z79.84)",
            ],
        },
    },
    "E11.2": {
        "official_descriptor": "Type 2 diabetes mellitus with kidney complications",
        "parent": "E11",
    },
    "E11.22": {
        "official_descriptor": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
        "parent": "E11.2",
        "billable": True,
    },
    "E11.4": {
        "official_descriptor": "Type 2 diabetes mellitus with neurological complications",
        "parent": "E11",
    },
    "E11.40": {
        "official_descriptor": "Type 2 diabetes mellitus with diabetic neuropathy, unspecified",
        "parent": "E11.4",
        "billable": True,
    },
    "E11.42": {
        "official_descriptor": "Type 2 diabetes mellitus with diabetic polyneuropathy",
        "parent": "E11.4",
        "billable": True,
    },
    "E11.8": {
        "official_descriptor": "Type 2 diabetes mellitus with unspecified complications",
        "parent": "E11",
        "billable": True,
    },
    "E11.9": {
        "official_descriptor": "Type 2 diabetes mellitus without complications",
        "parent": "E11",
        "billable": True,
        "notes": {
            "excludes1": ["type 2 diabetes mellitus, without complications in remission (E11.A)"]
        },
    },
    "E11.A": {
        "official_descriptor": "Type 2 diabetes mellitus without complications in remission",
        "parent": "E11",
        "billable": True,
    },
    "G63": {
        "official_descriptor": "Polyneuropathy in diseases classified elsewhere",
        "billable": True,
        "notes": {
            "excludes1": [
                "polyneuropathy (in):",
                POLYNEUROPATHY_DIABETES,
                "diphtheria (A36.83)",
                "infectious mononucleosis complicated by polyneuropathy "
                "(B27.0-B27.9 with fifth character 1)",
            ],
            "code_first": [
                "underlying disease, such as:",
                "amyloidosis (E85.-)",
                "endocrine disease, except diabetes (E00-E07, E15-E16, E20-E34)",
                "metabolic diseases (E70-E88)",
            ],
        },
    },
    "E85.4": {"official_descriptor": "Organ-limited amyloidosis", "billable": True},
    "B27.01": {
        "official_descriptor": "Gammaherpesviral mononucleosis with polyneuropathy",
        "billable": True,
    },
    "B27.09": {
        "official_descriptor": "Gammaherpesviral mononucleosis with other complications",
        "billable": True,
    },
    "Z79.4": {"official_descriptor": "Long term (current) use of insulin", "billable": True},
    "N18": {
        "official_descriptor": "Chronic kidney disease (CKD)",
        "notes": {
            "code_first": [
                CKD_LEAD,
                "diabetic chronic kidney disease (E08.22, E09.22, E10.22, E11.22, E13.22)",
                "hypertensive chronic kidney disease (I12.-, I13.-)",
            ]
        },
    },
    "N18.30": {
        "official_descriptor": "Chronic kidney disease, stage 3 unspecified",
        "parent": "N18",
        "billable": True,
    },
    "J45": {
        "official_descriptor": "Asthma",
        "notes": {
            "excludes1": ["miner's asthma (J60)", "wheezing NOS (R06.2)"],
            "excludes2": [ASTHMA_COPD],
        },
    },
    "J45.909": {
        "official_descriptor": "Unspecified asthma, uncomplicated",
        "parent": "J45",
        "billable": True,
    },
    "J44.89": {
        "official_descriptor": "Other specified chronic obstructive pulmonary disease",
        "billable": True,
    },
    "R06.2": {"official_descriptor": "Wheezing", "billable": True},
    # Their block and chapter carry notes (SECTIONS).
    "I10": {
        "official_descriptor": "Essential (primary) hypertension",
        "billable": True,
        "block": "Hypertensive diseases (I10-I1A)",
        "chapter": CIRCULATORY,
    },
    "I27.0": {
        "official_descriptor": "Primary pulmonary hypertension",
        "billable": True,
        "block": "Pulmonary heart disease and diseases of pulmonary circulation (I26-I28)",
        "chapter": CIRCULATORY,
    },
    **FRACTURES,
}
IN_FORCE = date(2025, 10, 1)
SECTIONS = [
    SectionRecorded(
        system="icd10cm",
        section="9",
        level="chapter",
        title=CIRCULATORY,
        notes={"excludes2": ["neoplasms (C00-D49)", ENDOCRINE]},
        effective_from=IN_FORCE.isoformat(),
    ),
    SectionRecorded(
        system="icd10cm",
        section="I10-I1A",
        level="block",
        title="Hypertensive diseases (I10-I1A)",
        notes={"excludes1": ["neonatal hypertension (P29.2)", PULMONARY_HYPERTENSION]},
        chapter="9",
        effective_from=IN_FORCE.isoformat(),
    ),
    SectionRecorded(
        system="icd10cm",
        section="I26-I28",
        level="block",
        title="Pulmonary heart disease and diseases of pulmonary circulation (I26-I28)",
        notes={},
        chapter="9",
        effective_from=IN_FORCE.isoformat(),
    ),
]
# Made up for the tests: when these two are (and stop being) valid.
NOT_YET = ("E11.A", date(2026, 10, 1))
RETIRED = ("E11.8", date(2026, 1, 1))


def register_codeset() -> list[str]:
    """Register the code set and project it (for tests on the `db` fixture)."""
    for code, content in CODES.items():
        code_register(
            system="icd10cm",
            code=code,
            content={"parent": "", "billable": False, **content},
            effective_from=NOT_YET[1] if code == NOT_YET[0] else IN_FORCE,
            source="test",
            release="FY2026",
        )
    system, (code, day) = "icd10cm", RETIRED
    retired = CodeRetired(system=system, code=code, effective_from=day.isoformat())
    append(code_stream(system, code), [NewEvent.of(retired)], 1)
    append_streams(
        [
            StreamAppend(section_stream(s.system, s.section), [NewEvent.of(s)], NO_STREAM)
            for s in SECTIONS
        ]
    )
    catch_up_each("codes", "review", "codesets", "sections")
    return list(CODES)
