"""How a question is read: its intent and what it names (pure: no database)."""

import pytest

from assistant.intents import read_question


@pytest.mark.parametrize(
    ("question", "code", "intent", "codes"),
    [
        ("can E11.9 and E10.9 be coded together", None, "together", ("E11.9", "E10.9")),
        ("Can this be reported with E10.9?", "E11.9", "together", ("E11.9", "E10.9")),
        ("E11.9 vs E10.9", None, "compare", ("E11.9", "E10.9")),
        ("difference between j45909 and J45.901", None, "compare", ("J45.909", "J45.901")),
        ("what is J45.909", None, "what_is", ("J45.909",)),
        ("N39.0?", None, "what_is", ("N39.0",)),
        ("What is this code?", "J18.9", "what_is", ("J18.9",)),
        ("What must be coded first with N18.6?", None, "code_first", ("N18.6",)),
        ("What else should be coded with E11.9?", None, "use_additional", ("E11.9",)),
        ("When was U07.1 added?", None, "history", ("U07.1",)),
        ("what is the prognosis of E11.9", None, "out_of_scope", ("E11.9",)),
        ("Who won the football last night?", None, "out_of_scope", ()),
    ],
)
def test_intent_and_codes(question, code, intent, codes):
    read = read_question(question, code=code)
    assert (read.intent, read.codes) == (intent, codes)


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("Which code for pneumonia?", "pneumonia"),
        ("How do I code a patient with type 2 diabetes?", "type 2 diabetes"),
        ("What is the correct ICD-10-CM code for acute bronchitis", "acute bronchitis"),
        # B12 follows a word of the name: it is part of the condition, not a code.
        ("which code for vitamin B12 deficiency", "vitamin b12 deficiency"),
    ],
)
def test_which_code_reads_the_condition(question, condition):
    read = read_question(question)
    assert (read.intent, read.condition) == ("which_code", condition)


def test_a_seventh_character_question_reads_the_visit():
    read = read_question("Which 7th character for a follow-up visit for S93.401?")
    assert (read.intent, read.codes, read.visit) == (
        "seventh_character",
        ("S93.401",),
        "follow-up visit",
    )


def test_a_notes_question_reads_its_topic_and_scope():
    read = read_question("What do the notes say about gestational diabetes in category E11?")
    assert (read.intent, read.codes, read.topic, read.scope_kind) == (
        "notes_topic",
        ("E11",),
        "gestational diabetes",
        "category",
    )
    chapter = read_question("what do the notes say about alcohol in chapter 5")
    assert (chapter.intent, chapter.codes, chapter.scope_kind, chapter.scope) == (
        "notes_topic",
        (),
        "chapter",
        "5",
    )


def test_a_five_digit_code_is_read_as_cpt():
    read = read_question("What is 99213?")
    assert (read.intent, read.system, read.codes) == ("what_is", "cpt", ("99213",))


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("icd 10 for migraine without aura", "migraine without aura"),
        ("ICD10-CM of asthma?", "asthma"),
    ],
)
def test_icd_10_written_with_a_space_or_none_asks_which_code(question, condition):
    read = read_question(question)
    assert (read.intent, read.condition) == ("which_code", condition)


def test_an_icd10pcs_code_in_the_default_system_is_read_in_icd10pcs():
    read = read_question("What is code 0DTJ4ZZ?")
    assert (read.intent, read.system, read.codes) == ("what_is", "icd10pcs", ("0DTJ4ZZ",))


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("what's the code for acute MI", "acute mi"),
        ("Whats the dx code for hypertension", "hypertension"),
    ],
)
def test_whats_the_code_for_asks_which_code(question, condition):
    read = read_question(question)
    assert (read.intent, read.condition) == ("which_code", condition)


def test_is_a_code_billable_asks_what_it_is():
    # The what-is answer says whether the code is billable or a heading.
    read = read_question("is F32.9 billable")
    assert (read.intent, read.codes) == ("what_is", ("F32.9",))
