"""POST /api/v1/codes/check: who may check, what each caller is quoted, and bad input refused
with a 400 problem that names the item."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from accounts.models import Licence, Membership, Organisation, OrganisationApiKey
from codesets.actions import code_register
from events.store import head_position
from events.testing import catch_up_each
from tests.checks.codeset import TYPE_2_NOTE, register_codeset
from tests.conftest import make_user

URL = "/api/v1/codes/check"
BODY = {"system": "icd10cm", "codes": ["E10.9", "E11.9"], "date_of_service": "2026-05-01"}


@pytest.fixture
def codeset(db):
    return register_codeset()


def client(user=None, key=None):
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    if key is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def excludes1(answer) -> dict:
    return next(f for f in answer.json()["findings"] if f["kind"] == "excludes1")


def test_the_route_is_the_check_not_a_code_lookup(codeset):
    answer = client().post(URL, BODY, format="json")
    assert answer.status_code == 200
    assert answer.json()["valid"] is False
    assert excludes1(answer)["codes"] == ["E10.9", "E11.9"]


# --- permission cells: one status each, and whether notes are quoted -------------------------


@pytest.mark.parametrize(
    ("who", "status", "quoted"),
    [
        ("anonymous", 200, False),
        ("free account", 200, False),
        ("editor", 200, True),
        ("reviewer", 200, True),
        ("auditor", 200, True),
        ("valid API key", 200, True),
        ("revoked API key", 401, None),
        ("made-up API key", 401, None),
    ],
)
def test_who_may_check_and_who_is_quoted_the_notes(codeset, people, who, status, quoted):
    key = None
    if who.endswith("API key"):
        key_object, key = APIKey.objects.create_key(name=who)
        if who.startswith("revoked"):
            key_object.revoked = True
            key_object.save()
        elif who.startswith("made-up"):
            key = "abcdefgh.notarealkeynotarealkeynotareal"
    user = {
        "free account": people["nobody"],
        "editor": people["alice"],
        "reviewer": people["bob"],
        "auditor": people["audrey"],
    }.get(who)
    answer = client(user, key).post(URL, BODY, format="json")
    assert answer.status_code == status
    if status != 200:
        assert answer["Content-Type"] == "application/problem+json"
        return
    finding = excludes1(answer)
    assert finding["source"]["from"] == "E10"
    assert ("text" in finding["source"]) is quoted
    assert (TYPE_2_NOTE in finding["message"]) is quoted
    assert ("notes" in answer.json()["withheld"]) is not quoted


def test_a_get_is_refused(codeset):
    answer = client().get(URL)
    assert answer.status_code == 405


# --- licensed systems: no note text without the licence ------------------------------------

SECRET = "quuxometer zebrafinch session"


@pytest.fixture
def licensed(db):
    """Two made-up CPT codes (never real CPT text), one naming the other in an Excludes1
    note; an organisation holding the CPT licence, one member and one outsider."""
    for code, notes in (("99990", {"excludes1": [f"{SECRET} (99991)"]}), ("99991", {})):
        code_register(
            system="cpt",
            code=code,
            content={"official_descriptor": f"Pretend {code}", "billable": True, "notes": notes},
        )
    catch_up_each("codes", "review", "codesets")
    holder = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=holder, system="cpt")
    member, outsider = make_user("member", "reviewer"), make_user("outsider", "reviewer")
    Membership.objects.create(user=member, organisation=holder)
    key_object, key = APIKey.objects.create_key(name="unlicensed key")
    other = Organisation.objects.create(name="Unlicensed Clinic")
    OrganisationApiKey.objects.create(api_key=key_object, organisation=other)
    return {"member": member, "outsider": outsider, "key": key}


@pytest.mark.parametrize(("who", "quoted"), [("member", True), ("outsider", False), ("key", False)])
def test_licensed_notes_are_quoted_only_to_licence_holders(licensed, who, quoted):
    api = client(key=licensed["key"]) if who == "key" else client(licensed[who])
    answer = api.post(URL, {"system": "cpt", "codes": ["99990", "99991"]}, format="json")
    assert answer.status_code == 200
    assert excludes1(answer)["codes"] == ["99990", "99991"]
    assert (SECRET in answer.content.decode()) is quoted


# --- bad input: a 400 problem naming what is wrong, nothing written ------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "codes": [f"A00.{i % 10}" for i in range(101)]}, "codes"),
        ({**BODY, "codes": ["E11.9", "E10.9", "Z79.4", "E11..9x!"]}, "codes[3]"),
        ({**BODY, "codes": ["E11.9", 42]}, "codes[1]"),
        ({**BODY, "codes": "E11.9, E10.9"}, "codes"),
        ({**BODY, "codes": []}, "codes"),
        ({**BODY, "system": "icd9"}, "system"),
        ({**BODY, "date_of_service": "2026-02-30"}, "date_of_service"),
        ({**BODY, "as_of": "2026-05-01"}, "as_of"),
        ({"system": "icd10cm"}, "codes"),
    ],
    ids=[
        "101 codes",
        "malformed item",
        "not text",
        "not a list",
        "empty",
        "unknown system",
        "bad date",
        "unknown field",
        "no codes",
    ],
)
def test_bad_input_is_a_400_naming_the_item_and_writes_nothing(codeset, body, field):
    before = head_position()
    answer = client().post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert list(answer.json()["errors"]) == [field]
    assert field in answer.json()["detail"]
    assert head_position() == before


def test_100_codes_are_checked(codeset):
    codes = [f"A{n:02d}.{n % 10}" for n in range(100)]
    answer = client().post(URL, {**BODY, "codes": codes}, format="json")
    assert answer.status_code == 200
    assert [f["kind"] for f in answer.json()["findings"]] == ["unknown"] * 100


def test_checks_are_throttled_and_the_screen_counts_with_the_api(codeset, settings, one_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "check_anon": "3/day",
        },
    }
    api = client()
    answers = [api.post(URL, BODY, format="json") for _ in range(2)]
    page = api.get("/check", {"codes": "E11.9", "system": "icd10cm"})
    refused = api.post(URL, BODY, format="json")
    assert [a.status_code for a in [*answers, page, refused]] == [200, 200, 200, 429]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "43200"  # the rest of the pinned day (one_window)
    again = api.get("/check", {"codes": "E11.9", "system": "icd10cm"})
    assert again.status_code == 429
    assert again["Retry-After"] == "43200"
    assert "Too many checks" in again.content.decode()


def test_every_wrong_item_is_named_at_once(codeset):
    body = {**BODY, "codes": ["E11..9x!", "E11.9", "99213", 7]}
    answer = client().post(URL, body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["codes[0]", "codes[2]", "codes[3]"]
