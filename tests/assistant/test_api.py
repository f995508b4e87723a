"""POST /api/v1/assistant/ask: the questions coders ask, answered from the content with the
codes and notes relied on cited; who may ask; bad input refused with a problem."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from accounts.models import Licence, Organisation, OrganisationApiKey
from codes.models import CodeEntry
from codesets.actions import code_register
from events.testing import catch_up_each
from knowledge.explain import explain
from tests.alphabetic_index.conftest import import_index

pytestmark = pytest.mark.django_db


def cited(body: dict) -> list[tuple[str, str]]:
    return [(c["code"], c["field"]) for c in body["citations"]]


def test_two_codes_an_excludes1_note_keeps_apart_may_not_be_coded_together(content, ask_as):
    response = ask_as("free", {"question": "can E11.9 and E10.9 be coded together"})
    assert response.status_code == 200
    body = response.json()
    assert body["intent"] == "together"
    assert body["answer"].startswith("No. E11.9 and E10.9 may not be reported together.")
    assert "“type 1 diabetes mellitus (E10.-)”" in body["answer"]
    # The codes asked about, then the notes relied on, each on the code it is written on.
    assert cited(body) == [
        ("E11.9", "notes"),
        ("E10.9", "notes"),
        ("E11", "notes.excludes1"),
        ("E10", "notes.excludes1"),
    ]
    e11 = body["citations"][2]
    assert (e11["system"], e11["version"], e11["url"]) == ("icd10cm", 1, "/codes/icd10cm/E11")


def test_an_excludes2_note_inherited_from_the_category_allows_both(content, ask_as):
    body = ask_as("free", {"question": "Can J18.9 be reported with J69.0?"}).json()
    assert body["intent"] == "together"
    assert body["answer"].startswith(
        "Yes, when the patient has both. An Excludes2 note applies to J18.9 (inherited from J18)"
    )
    assert cited(body) == [("J18.9", "notes"), ("J69.0", "notes"), ("J18", "notes.excludes2")]


def test_a_code_not_in_the_content_is_said_so_and_nothing_is_cited(content, ask_as):
    body = ask_as("free", {"question": "can S72.001A and S92.001A be coded together"}).json()
    assert body["intent"] == "together"
    assert body["answer"].startswith("S92.001A is not an ICD-10-CM code in force in CodeLedger")
    assert body["citations"] == []


def test_what_is_a_code_answers_with_its_descriptor_and_explanation_cited(content, ask_as):
    body = ask_as("key", {"question": "what is J45.909"}).json()
    assert body["intent"] == "what_is"
    assert body["answer"].startswith(
        "J45.909 “Unspecified asthma, uncomplicated” is an ICD-10-CM code you can report"
    )
    # The plain-language explanation follows, with its attribution line, and is cited.
    explanation = explain("icd10cm", "J45.909")
    assert f"{explanation['text']} ({explanation['attribution']})" in body["answer"]
    assert cited(body) == [("J45.909", "official_descriptor"), ("J45.909", "explanation")]


def test_which_code_for_a_main_index_term_is_the_index_default_code(content, ask_as):
    body = ask_as("free", {"question": "Which code for pneumonia?"}).json()
    assert body["intent"] == "which_code"
    assert body["answer"].startswith("The Alphabetic Index (FY2025) gives J18.9 for “Pneumonia”")
    assert cited(body) == [("J18.9", "alphabetic_index")]


def test_which_7th_character_for_a_visit_gives_the_complete_code(content, ask_as):
    body = ask_as(
        "free",
        {"question": "Which 7th character for a subsequent encounter?", "code": "S72.001"},
    ).json()
    assert body["intent"] == "seventh_character"
    assert "use 7th character D" in body["answer"]
    assert cited(body) == [
        ("S72.001", "official_descriptor"),
        ("S72", "notes.seventh_character"),
        ("S72.001D", "official_descriptor"),
    ]


def test_code_first_reads_the_note_inherited_from_the_category(content, ask_as):
    body = ask_as("free", {"question": "What must be coded first with N18.6?"}).json()
    assert body["intent"] == "code_first"
    assert (
        "Code first: hypertensive chronic kidney disease (I12.-, I13.-) (from N18)"
        in (body["answer"])
    )
    assert cited(body) == [("N18.6", "notes"), ("N18", "notes.code_first")]


def test_what_the_notes_say_about_a_topic_in_a_category(content, ask_as):
    body = ask_as(
        "free", {"question": "What do the notes say about tobacco in category J45?"}
    ).json()
    assert body["intent"] == "notes_topic"
    assert "exposure to environmental tobacco smoke (Z77.22)" in body["answer"]
    assert cited(body) == [("J45", "notes.use_additional")]


def test_what_the_notes_say_about_a_topic_in_a_block_of_categories(content, ask_as):
    body = ask_as("free", {"question": "What do the notes say about insulin in block E08-E13?"})
    body = body.json()
    assert body["intent"] == "notes_topic"
    assert body["answer"] == (
        "What the notes on E08-E13 say about “insulin”: Use additional code on E11: “code to "
        "identify control using: insulin (Z79.4)”."
    )
    assert cited(body) == [("E11", "notes.use_additional")]


def test_what_the_notes_say_about_a_topic_in_a_chapter_named_by_its_title(content, ask_as):
    question = "What do the notes say about wheezing in the respiratory chapter?"
    body = ask_as("free", {"question": question}).json()
    assert body["intent"] == "notes_topic"
    assert body["answer"] == (
        "What the notes on Diseases of the respiratory system (J00-J99) say about “wheezing”: "
        "Excludes1 on J45: “wheezing NOS (R06.2)”."
    )
    assert cited(body) == [("J45", "notes.excludes1")]


def test_what_changed_in_a_code_reads_its_history(content, ask_as):
    body = ask_as("free", {"question": "What changed in J45.909?"}).json()
    assert body["intent"] == "history"
    assert "(release FY2026)" in body["answer"]
    assert "It has not changed since." in body["answer"]
    assert cited(body) == [("J45.909", "history")]


def test_an_off_topic_question_is_not_answered_and_cites_nothing(content, ask_as):
    body = ask_as("free", {"question": "Who won the football last night?"}).json()
    assert body["intent"] == "out_of_scope"
    assert body["answer"].startswith("CasePilot answers only from CodeLedger's content")
    assert body["citations"] == []


def test_a_condition_nothing_knows_names_no_code(content, ask_as):
    body = ask_as("free", {"question": "Which code for dragon scale fever?"}).json()
    assert body["intent"] == "which_code"
    assert body["citations"] == []
    assert "names no code" in body["answer"]
    assert body["followups"][0]["url"] == "/search?q=dragon+scale+fever"


def test_a_cpt_code_is_not_retold_without_the_licence(content, ask_as):
    body = ask_as("free", {"question": "What is 99213?"}).json()
    assert body["citations"] == []
    assert "Office or other outpatient visit" not in body["answer"]
    assert "CPT is licensed" in body["answer"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("guest", 401), ("bad key", 401), ("free", 200), ("key", 200)],
)
def test_who_may_ask(content, ask_as, who, status):
    response = ask_as(who, {"question": "what is J45.909"})
    assert response.status_code == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 501}, "question"),
        ({"question": "which code for pneu\x00monia"}, "question"),
        ({"question": ["what is J45.909"]}, "question"),
        ({}, "question"),
        ({"question": "what is it", "system": "snomed"}, "system"),
        ({"question": "what is it", "code": "not a code!"}, "code"),
        ({"question": "what is it", "mood": "curious"}, "mood"),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(content, ask_as, body, field):
    before = CodeEntry.objects.count()
    response = ask_as("free", body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert CodeEntry.objects.count() == before


def test_an_api_key_asks_within_its_throttle_then_gets_429(content, settings, one_window):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "assistant_key": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    _, key = APIKey.objects.create_key(name="consumer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    statuses = [
        client.post("/api/v1/assistant/ask", {"question": "what is E11.9"}, format="json")
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2]["Content-Type"] == "application/problem+json"
    assert statuses[2]["Retry-After"] == "60"  # a whole minute: the clock is pinned at its start


def test_a_cpt_licence_holder_is_told_the_cpt_code(content):
    holder = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=holder, system="cpt")
    key_object, key = APIKey.objects.create_key(name="holder")
    OrganisationApiKey.objects.create(api_key=key_object, organisation=holder)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    body = client.post("/api/v1/assistant/ask", {"question": "What is 99213?"}, format="json")
    assert body.json()["answer"].startswith(
        "99213 “Office or other outpatient visit, established patient” is a CPT code"
    )
    first = body.json()["citations"][0]
    assert (first["system"], first["code"], first["field"]) == (
        "cpt",
        "99213",
        "official_descriptor",
    )


@pytest.fixture
def no_search(settings):
    """Search unreachable (nothing listens on port 9): only the index can answer."""
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"


def test_a_word_found_only_inside_an_index_term_names_no_code(content, no_search, ask_as):
    # "tic" is inside "asthmatic" (Asthma, J45.909): the index's word search matches it, but
    # a coder asking about a tic must not be told to code asthma.
    body = ask_as("free", {"question": "Which code for tic?"}).json()
    assert body["intent"] == "which_code"
    assert body["answer"].startswith("Neither the Alphabetic Index nor search finds “tic”")
    assert body["citations"] == []


def test_an_icd10pcs_code_asked_in_the_default_system_is_read_as_one(content, ask_as):
    body = ask_as("free", {"question": "What is code 0DTJ4ZZ?"}).json()
    assert body["intent"] == "what_is"
    assert body["answer"].startswith("0DTJ4ZZ is not an ICD-10-PCS code in force in CodeLedger")
    assert body["citations"] == []


MIGRAINE_INDEX = """RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code
1,M,0,Migraine,,,(idiopathic),G43.909
2,M,1,with aura,,,(acute-onset) (prolonged) (typical) (without headache),G43.109
3,M,1,without aura,,,,G43.009
4,N,0,Newborn,,,,
5,N,1,sepsis,,,,P36.9
6,N,2,due to,,,,
7,N,3,Escherichia coli,,,,P36.4
8,S,0,Sepsis,,,(generalized),A41.9
9,S,1,Escherichia coli,,,(E. coli),A41.51
10,P,0,Pasteurellosis,,,(cat bite) (dog bite),A28.0
"""


@pytest.fixture
def migraine_index(db, tmp_path):
    for code, descriptor in (
        ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"),
        ("G43.109", "Migraine with aura, not intractable, without status migrainosus"),
        ("G43.009", "Migraine without aura, not intractable, without status migrainosus"),
        ("P36.9", "Bacterial sepsis of newborn, unspecified"),
        ("P36.4", "Sepsis of newborn due to Escherichia coli"),
        ("A41.9", "Sepsis, unspecified organism"),
        ("A41.51", "Sepsis due to Escherichia coli [E. coli]"),
        ("A28.0", "Pasteurellosis"),
    ):
        content = {"official_descriptor": descriptor, "billable": True}
        code_register(system="icd10cm", code=code, content=content, source="test")
    catch_up_each("codes", "review", "codesets")
    path = tmp_path / "index.csv"
    path.write_text(MIGRAINE_INDEX)
    import_index(path)


def test_a_word_in_a_subterm_title_wins_over_the_same_word_in_another_modifiers(
    migraine_index, ask_as
):
    # "Migraine, with aura" has "(without headache)" among its modifiers: not the answer.
    body = ask_as("free", {"question": "Which code for migraine without aura?"}).json()
    assert cited(body) == [("G43.009", "alphabetic_index")]


def test_a_chapter_number_beyond_the_chapters_names_none(content, ask_as):
    # "89" is in the label "... (E00-E89)", but no chapter 89 exists.
    body = ask_as("free", {"question": "What do the notes say about insulin in chapter 89?"})
    assert body.json()["answer"].startswith("CodeLedger has no chapter “89”")
    assert body.json()["citations"] == []


def test_due_to_is_not_sought_in_the_subterm_of_the_cause(migraine_index, ask_as):
    # The index lists "Sepsis, Escherichia coli" without "due to"; the word search would
    # otherwise find "Newborn, sepsis, due to, Escherichia coli" (P36.4), a newborn's code.
    body = ask_as("free", {"question": "which code for sepsis due to e coli"}).json()
    assert cited(body) == [("A41.51", "alphabetic_index")]


def test_words_only_in_another_terms_modifiers_name_no_code(migraine_index, no_search, ask_as):
    # "(dog bite)" qualifies Pasteurellosis, an infection: not the code for a dog bite.
    body = ask_as("free", {"question": "which code for dog bite"}).json()
    assert body["answer"].startswith("Neither the Alphabetic Index nor search finds “dog bite”")
    assert body["citations"] == []


def test_three_codes_together_reads_every_pair_not_the_first_two(content, ask_as):
    # J45.909 and E11.9 are fine together; E11.9 and E10.9 are not.
    body = ask_as("free", {"question": "Can J45.909, E11.9 and E10.9 be coded together?"}).json()
    assert body["intent"] == "together"
    assert body["answer"].startswith("No. E11.9 and E10.9 may not be reported together.")
    assert "Every pair of J45.909, E11.9, E10.9 was read" in body["answer"]
    assert body["followups"][0]["url"] == "/check?codes=J45.909%0AE11.9%0AE10.9&system=icd10cm"


def test_three_codes_no_note_keeps_apart_may_be_reported_together(content, ask_as):
    body = ask_as("free", {"question": "Can J45.909, N18.6 and E11.9 be coded together?"}).json()
    assert body["answer"].startswith(
        "Nothing in the notes stops it: no Excludes1 or Excludes2 note that applies to any of "
        "J45.909, N18.6, E11.9"
    )
    assert cited(body) == [("J45.909", "notes"), ("N18.6", "notes"), ("E11.9", "notes")]


def test_notes_asked_without_a_topic_are_listed_without_an_empty_one(content, ask_as):
    body = ask_as("free", {"question": "What do the notes say in category J45?"}).json()
    assert body["intent"] == "notes_topic"
    assert body["answer"].startswith("What the notes on J45 say: ")
    assert "“”" not in body["answer"]


def test_every_7th_character_of_the_rule_is_listed(db, ask_as):
    characters = "ABCDEFGHJKS"
    meanings = {c: "sequela" if c == "S" else f"meaning {c.lower()}" for c in characters}
    general = [f"7th character {c}: {meaning}" for c, meaning in meanings.items()]
    code_register(
        system="icd10cm",
        code="T98",
        content={"official_descriptor": "Injury of a test site", "notes": {"general": general}},
        source="test",
    )
    code_register(
        system="icd10cm",
        code="T98.0",
        content={"official_descriptor": "Injury of a test site, left", "parent": "T98"},
        source="test",
    )
    catch_up_each("codes", "review", "codesets")
    body = ask_as("free", {"question": "Which 7th character for sequela of T98.0?"}).json()
    assert "use 7th character S" in body["answer"]
    assert "J: meaning j; K: meaning k; S: sequela." in body["answer"]
