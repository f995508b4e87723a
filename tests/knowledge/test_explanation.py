"""The plain-language explanation composed from a code's facts (no database): it names the
variants a coder chooses between, says which 7th character fits which visit, uses approved
glossary terms, and gives the same text for the same facts."""

from knowledge.explanation import Facts, compose

DESCRIPTOR = (
    "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
)
SEVENTH = [
    {"kind": "seventh_character", "text": text, "from": "S72", "codes": []}
    for text in (
        "The appropriate 7th character is to be added to each code from category S72",
        "7th character A: initial encounter for closed fracture",
        "7th character D: subsequent encounter for closed fracture with routine healing",
        "7th character S: sequela",
    )
]
EXCLUDES1 = {
    "kind": "excludes1",
    "text": "traumatic amputation of hip and thigh (S78.-)",
    "from": "S72",
    "codes": ["S78.-"],
}
NEIGHBOURS = (
    (
        "S72.001D",
        DESCRIPTOR.replace(
            "initial encounter for closed fracture",
            "subsequent encounter for closed fracture with routine healing",
        ),
    ),
    ("S72.001S", DESCRIPTOR.replace("initial encounter for closed fracture", "sequela")),
    ("S72.002A", DESCRIPTOR.replace("right", "left")),
    ("S72.009A", DESCRIPTOR.replace("right", "unspecified")),
)


def facts(**changes) -> Facts:
    values = {
        "system": "icd10cm",
        "code": "S72.001A",
        "descriptor": DESCRIPTOR,
        "chapter": "Injury, poisoning and certain other consequences of external causes (S00-T88)",
        "block": "Injuries to the hip and thigh (S70-S79)",
        "billable": True,
        "notes": (EXCLUDES1, *SEVENTH),
        "neighbours": NEIGHBOURS,
        "glossary": {"femur": "the thigh bone", "closed fracture": "the skin is not broken"},
    }
    return Facts(**{**values, **changes})


def sentence_with(explanation: dict, start: str) -> dict:
    return next(s for s in explanation["sentences"] if s["text"].startswith(start))


def test_the_text_names_the_other_sides_each_with_its_code():
    side = sentence_with(compose(facts()), "The side of the body")
    assert side == {
        "text": "The side of the body has its own code: “left” (S72.002A) and "
        "“unspecified” (S72.009A); this code is for “right”.",
        "sources": ["official_descriptor", "sibling:S72.002A", "sibling:S72.009A"],
    }


def test_the_text_says_which_7th_character_fits_which_visit_with_its_code():
    explanation = compose(facts())
    visits = sentence_with(explanation, "The 7th character")
    assert visits == {
        "text": "The 7th character says which visit this is: "
        "A, initial encounter for closed fracture (this code); "
        "D, subsequent encounter for closed fracture with routine healing (S72.001D); "
        "S, sequela (S72.001S).",
        "sources": ["notes.seventh_character:S72", "sibling:S72.001D", "sibling:S72.001S"],
    }
    mine = sentence_with(explanation, "This code ends in A")
    # "closed fracture" is in the descriptor: explained once, in the plain-words sentence.
    assert mine["text"] == "This code ends in A: initial encounter for closed fracture."


def test_7th_character_rules_written_as_general_notes_read_the_same():
    general = tuple({**note, "kind": "general"} for note in SEVENTH)
    visits = sentence_with(compose(facts(notes=general)), "The 7th character")
    assert visits["text"].startswith(
        "The 7th character says which visit this is: A, initial encounter for closed fracture "
        "(this code);"
    )
    assert visits["sources"][0] == "notes.general:S72"


def test_what_it_does_not_cover_is_said_with_the_code_to_use_instead():
    excluded = sentence_with(compose(facts()), "It does not cover")
    assert excluded == {
        "text": "It does not cover the following, which have their own codes and are never "
        "reported together with it: traumatic amputation of hip and thigh (S78.-).",
        "sources": ["notes.excludes1:S72"],
    }


def test_glossary_terms_are_explained_longest_first_each_with_its_source():
    plain = sentence_with(compose(facts()), "In plain words")
    assert plain == {
        "text": "In plain words: “femur” means the thigh bone; “closed fracture” means the "
        "skin is not broken.",
        "sources": ["official_descriptor", "glossary:femur", "glossary:closed fracture"],
    }


def test_without_glossary_terms_there_is_no_plain_words_sentence():
    texts = [s["text"] for s in compose(facts(glossary={}))["sentences"]]
    assert not any(text.startswith("In plain words") for text in texts)


def test_a_heading_points_to_the_codes_below_it():
    heading = compose(
        facts(
            code="S72.001",
            descriptor="Fracture of unspecified part of neck of right femur",
            billable=False,
            neighbours=(),
            children=(("S72.001A", DESCRIPTOR), ("S72.001D", NEIGHBOURS[0][1])),
        )
    )
    assert sentence_with(heading, "It is a heading") == {
        "text": "It is a heading, not a code to report on its own: choose the more specific "
        "code below it (S72.001A and S72.001D).",
        "sources": ["billable", "child:S72.001A", "child:S72.001D"],
    }


def test_the_same_facts_give_the_same_text_and_the_text_joins_the_sentences():
    first, second = compose(facts()), compose(facts(neighbours=tuple(reversed(NEIGHBOURS))))
    assert first == second
    assert first["text"] == " ".join(s["text"] for s in first["sentences"])
    assert first["generated"] is True
    assert first["attribution"].startswith(
        "Generated by CodeLedger from the official ICD-10-CM text"
    )
