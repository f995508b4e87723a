"""S72.001A and its parent codes up to category S72, shaped like the ICD-10-CM tabular as
`codesets.sources` imports it: the 7th-character rule and the Excludes notes are written on the
category only (they apply to every code below it), and the 7th-character rule and meanings are
notes of their own kind (`seventh_character`)."""

from codes.sections import SectionRecorded
from codes.streams import section_stream
from codesets.actions import code_register
from events.store import NO_STREAM, NewEvent, StreamAppend, append_streams
from events.testing import catch_up_each

CHAPTER = "Injury, poisoning and certain other consequences of external causes (S00-T88)"
BLOCK = "Injuries to the hip and thigh (S70-S79)"
SEVENTH_RULE = "The appropriate 7th character is to be added to each code from category S72"
# Written on S72.001A itself: markup that must stay text, around a range and a family.
XSS_NOTE = '<img src=x onerror="alert(1)"> see pneumoconiosis (J60-J70) and tobacco (F17.-)'

FRACTURES = {
    "S72": {
        "official_descriptor": "Fracture of femur",
        "parent": "",
        "notes": {
            "excludes1": ["traumatic amputation of hip and thigh (S78.-)"],
            "excludes2": [
                "fracture of lower leg and ankle (S82.-)",
                "fracture of foot (S92.-)",
            ],
            "seventh_character": [
                SEVENTH_RULE,
                "7th character A: initial encounter for closed fracture",
                "7th character D: subsequent encounter for closed fracture with routine healing",
            ],
        },
    },
    "S72.0": {
        "official_descriptor": "Fracture of head and neck of femur",
        "parent": "S72",
        "notes": {"excludes2": ["physeal fracture of upper end of femur (S79.0-)"]},
    },
    "S72.00": {
        "official_descriptor": "Fracture of unspecified part of neck of femur",
        "parent": "S72.0",
        "notes": {"inclusion_terms": ["Fracture of hip NOS", "Fracture of neck of femur NOS"]},
    },
    "S72.001": {
        "official_descriptor": "Fracture of unspecified part of neck of right femur",
        "parent": "S72.00",
    },
    "S72.001A": {
        "official_descriptor": (
            "Fracture of unspecified part of neck of right femur, initial encounter for closed "
            "fracture"
        ),
        "parent": "S72.001",
        "billable": True,
        "notes": {"general": [XSS_NOTE]},
    },
}


# Their block and chapter, with notes as the tabular writes them there.
BLOCK_NOTE = "frostbite (T33-T34)"
CHAPTER_NOTE = "birth trauma (P10-P15)"
CHAPTER_USE_ADDITIONAL = "code to identify any retained foreign body, if applicable (Z18.-)"
SECTIONS = [
    SectionRecorded(
        system="icd10cm",
        section="19",
        level="chapter",
        title=CHAPTER,
        # Also written on S72: listed once, from the nearest place.
        notes={
            "excludes2": [CHAPTER_NOTE, "fracture of foot (S92.-)"],
            "use_additional": [CHAPTER_USE_ADDITIONAL],
        },
    ),
    SectionRecorded(
        system="icd10cm",
        section="S70-S79",
        level="block",
        title=BLOCK,
        notes={"excludes2": [BLOCK_NOTE]},
        chapter="19",
    ),
]


def record_sections(sections=SECTIONS) -> None:
    """Record chapters and blocks as an import does, and project them."""
    append_streams(
        [
            StreamAppend(section_stream(s.system, s.section), [NewEvent.of(s)], NO_STREAM)
            for s in sections
        ]
    )
    catch_up_each("sections")


def register_fractures() -> list[str]:
    """Register S72 ... S72.001A as the first import would, and project them (for tests on the
    `db` fixture, whose transaction never commits). Their block and chapter are not recorded
    (record_sections does)."""
    for code, content in FRACTURES.items():
        code_register(
            system="icd10cm",
            code=code,
            content={"chapter": CHAPTER, "block": BLOCK, **content},
            source="test",
            release="FY2026",
        )
    catch_up_each("codes", "review", "codesets")
    return list(FRACTURES)
