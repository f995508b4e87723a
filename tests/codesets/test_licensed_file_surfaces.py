"""A licensed code system imported from a file (issue #25): the CPT-shaped fixture, brought in
through `codes_import --file` (the path the admin upload screen takes too), is read in full by
an organisation holding the CPT licence and by nobody else, on every surface that shows codes:
search (API and page), suggest (API and fragment), the code page and code API (with history
and the batch lookup), FHIR ($lookup, $validate-code, $expand, CodeSystem), the audit log,
its pages and exports.

Each surface is one test whose answer is a table, caller -> what that caller gets, compared
whole with the one expected table: a cell that changes names its caller. Callers without the
licence are anonymous, a member of an organisation without it (signed in) and that
organisation's API key; callers with it are a member of the licensed organisation and its API
key. The audit surfaces are for auditors: one of each organisation (API keys are refused).

What the REST API tells everyone is that a CPT code exists (status, billable, parent; the code
page reads "(licensed descriptor)"); the text never. FHIR tells less: a 404 for every code.
"""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from fhir.resources.R4B import get_fhir_model_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the import projects after commit

DATA = Path(__file__).parent / "data"
CPT = "http://www.ama-assn.org/go/cpt"
ALL_CODES = ["99990", "99991", "99992"]
# 99991's descriptor in tests/codesets/data/cpt_fixture.json (invented, not AMA text).
TEXT = "FIXTURE invented visit of a made-up kind, brief"
LICENCE_MESSAGE = (
    "CPT content is licensed: its codes are served only to organisations holding a CPT licence "
    "(sign in, or send an API key of such an organisation)"
)

WITHOUT = ("anonymous", "outsider", "outsider_key")
WITH = ("member", "member_key")
READERS = WITHOUT + WITH
AUDIT_CALLERS = ("anonymous", "auditor", "licensed_auditor", "outsider_key", "member_key")


def each(callers, without, with_licence):
    """The expected table: `without` for the callers without the licence, `with_licence` for
    those with it."""
    return {who: with_licence if who in WITH else without for who in callers}


@pytest.fixture
def clients(es_namespace):
    """The fixture imported and indexed, and a client per caller."""
    from rest_framework_api_key.models import APIKey

    from accounts.models import Licence, Membership, Organisation, OrganisationApiKey
    from codeledger.elastic import elasticsearch_client
    from events.projections import catch_up
    from search.documents import alias

    call_command(
        "codes_import",
        "--file",
        str(DATA / "cpt_fixture.json"),
        "--system",
        "cpt",
        "--format",
        "fhir",
        "--release",
        "fixture-2026",
        "--effective-from",
        "2026-01-01",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())

    licensed = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=licensed, system="cpt")
    unlicensed = Organisation.objects.create(name="Unlicensed Clinic")
    made = {"anonymous": Client()}
    people = (
        ("member", licensed, ()),
        ("outsider", unlicensed, ()),
        ("licensed_auditor", licensed, ("auditor",)),
        ("auditor", unlicensed, ("auditor",)),
    )
    for name, organisation, roles in people:
        user = make_user(name, *roles)
        Membership.objects.create(user=user, organisation=organisation)
        made[name] = Client()
        made[name].force_login(user)
    for name, organisation in (("member_key", licensed), ("outsider_key", unlicensed)):
        key_object, key = APIKey.objects.create_key(name=name)
        OrganisationApiKey.objects.create(api_key=key_object, organisation=organisation)
        made[name] = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return made


def ask(clients, callers, url, answer):
    """{caller: answer(response)} for a GET of `url` by each caller."""
    return {who: answer(clients[who].get(url)) for who in callers}


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def fhir(response) -> dict:
    """The FHIR body, validated as its R4 model (errors included)."""
    found = response.json()
    get_fhir_model_class(found["resourceType"]).model_validate(found)
    return found


# --- search and suggest ---------------------------------------------------------------------


def hits(response):
    found = response.json()
    return response.status_code, sorted(h["code"] for h in found["hits"]), found["corrected_query"]


def test_search_api_finds_the_codes_only_with_the_licence(clients):
    table = ask(clients, READERS, "/api/v1/codes/search?q=invented+visit", hits)
    assert table == each(READERS, (200, [], None), (200, ALL_CODES, None))


def test_search_api_never_corrects_a_typo_into_words_of_licensed_text(clients):
    # The spelling suggester reads the whole index: without the licence it must not offer
    # "invented visit" for "invnted vist" (words only CPT text holds).
    table = ask(clients, READERS, "/api/v1/codes/search?q=invnted+vist", hits)
    assert table == each(READERS, (200, [], None), (200, ALL_CODES, "invnted visit"))


def page_shows(response):
    """Status, the CPT codes linked, whether fixture text shows, whether "invented" does."""
    text = body(response)
    linked = sorted(set(re.findall(r"/codes/cpt/(\d+)", text)))
    return response.status_code, linked, "FIXTURE" in text, "invented" in text


def test_search_page_shows_the_codes_only_with_the_licence(clients):
    table = ask(clients, READERS, "/search?q=invented+visit", page_shows)
    # Without the licence "invented" is only the query, echoed back.
    assert table == each(READERS, (200, [], False, True), (200, ALL_CODES, True, True))


def test_search_page_never_offers_words_of_licensed_text_for_a_typo(clients):
    table = ask(clients, READERS, "/search?q=invnted+vist", page_shows)
    assert table == each(READERS, (200, [], False, False), (200, ALL_CODES, True, True))


def suggested(response):
    return response.status_code, sorted(s["code"] for s in response.json()["suggestions"])


@pytest.mark.parametrize("prefix", ["invent", "999"])
def test_suggest_api_suggests_the_codes_only_with_the_licence(clients, prefix):
    table = ask(clients, READERS, f"/api/v1/codes/suggest?q={prefix}", suggested)
    assert table == each(READERS, (200, []), (200, ALL_CODES))


def test_suggest_fragment_lists_the_codes_only_with_the_licence(clients):
    def listed(response):
        text = body(response)
        linked = sorted(set(re.findall(r"/codes/cpt/(\d+)", text)))
        return response.status_code, linked, TEXT in text

    table = ask(clients, READERS, "/search/suggest?q=invent", listed)
    assert table == each(READERS, (200, [], False), (200, ALL_CODES, True))


# --- the code page and the code API ---------------------------------------------------------


def test_code_page_shows_the_descriptor_only_with_the_licence(clients):
    def shown(response):
        text = body(response)
        return response.status_code, TEXT in text, "(licensed descriptor)" in text

    table = ask(clients, READERS, "/codes/cpt/99991", shown)
    assert table == each(READERS, (200, False, True), (200, True, False))


def test_code_api_withholds_the_descriptor_without_the_licence(clients):
    def content(response):
        found = response.json()
        withheld = "official_descriptor" in found["withheld"]
        return response.status_code, found["content"]["official_descriptor"], withheld

    table = ask(clients, READERS, "/api/v1/codes/cpt/99991", content)
    assert table == each(READERS, (200, "", True), (200, TEXT, False))


def test_code_history_api_withholds_the_text_without_the_licence(clients):
    table = ask(
        clients,
        READERS,
        "/api/v1/codes/cpt/99991/history",
        lambda response: (response.status_code, TEXT in body(response)),
    )
    assert table == each(READERS, (200, False), (200, True))


def test_batch_lookup_api_says_the_code_exists_and_withholds_its_title(clients):
    def looked_up(response):
        result = response.json()["results"][0]
        return response.status_code, result["found"], result["title"], result["licensed"]

    table = ask(clients, READERS, "/api/v1/codes/lookup?system=cpt&code=99991", looked_up)
    assert table == each(READERS, (200, True, None, True), (200, True, TEXT, False))


# --- FHIR -----------------------------------------------------------------------------------


def test_fhir_lookup_is_a_404_without_the_licence(clients):
    def looked_up(response):
        found = fhir(response)
        if found["resourceType"] == "OperationOutcome":
            return response.status_code, found["issue"][0]["diagnostics"]
        displays = [p["valueString"] for p in found["parameter"] if p["name"] == "display"]
        return response.status_code, displays[0]

    url = f"/fhir/CodeSystem/$lookup?system={CPT}&code=99991"
    table = ask(clients, READERS, url, looked_up)
    assert table == each(READERS, (404, LICENCE_MESSAGE), (200, TEXT))


def test_fhir_validate_code_is_false_with_the_licence_message_without_it(clients):
    def validated(response):
        found = {p["name"]: p for p in fhir(response)["parameter"]}
        said = found.get("message", found.get("display"))["valueString"]
        return response.status_code, found["result"]["valueBoolean"], said

    url = f"/fhir/CodeSystem/$validate-code?url={CPT}&code=99991"
    table = ask(clients, READERS, url, validated)
    assert table == each(READERS, (200, False, LICENCE_MESSAGE), (200, True, TEXT))


def expanded(response):
    found = fhir(response)
    if found["resourceType"] == "OperationOutcome":
        return response.status_code, found["issue"][0]["code"]
    return response.status_code, sorted(c["code"] for c in found["expansion"].get("contains", []))


@pytest.mark.parametrize("text", [None, "invented"])
def test_fhir_expand_is_a_404_without_the_licence(clients, text):
    url = f"/fhir/ValueSet/$expand?url={CPT}%3Ffhir_vs" + (f"&filter={text}" if text else "")
    table = ask(clients, READERS, url, expanded)
    assert table == each(READERS, (404, "not-found"), (200, ALL_CODES))


def test_fhir_code_system_is_a_404_without_the_licence_and_complete_with_it(clients):
    def read(response):
        found = fhir(response)
        if found["resourceType"] == "OperationOutcome":
            return response.status_code, found["issue"][0]["code"], None
        return response.status_code, found["content"], [c["display"] for c in found["concept"]]

    table = ask(clients, READERS, "/fhir/CodeSystem/cpt", read)
    displays = [
        "FIXTURE invented visit of a made-up kind",
        TEXT,
        "FIXTURE invented visit of a made-up kind, long",
    ]
    assert table == each(READERS, (404, "not-found", None), (200, "complete", displays))


# --- audit ----------------------------------------------------------------------------------

REFUSED_KEY = 403  # API keys read codes only (codeledger.api.PeopleOnly)


def audit_table(without, with_licence, *, anonymous, key=REFUSED_KEY):
    return {
        "anonymous": anonymous,
        "auditor": without,
        "licensed_auditor": with_licence,
        "outsider_key": key,
        "member_key": key,
    }


def logged_codes(response):
    if response.status_code != 200:
        return response.status_code
    return response.status_code, sorted(
        entry["code"] for entry in response.json()["results"] if entry["system"] == "cpt"
    )


@pytest.mark.parametrize("query", ["", "?system=cpt"])
def test_audit_log_api_lists_the_imports_events_only_to_a_licensed_auditor(clients, query):
    table = ask(clients, AUDIT_CALLERS, f"/api/v1/audit/log{query}", logged_codes)
    assert table == audit_table((200, []), (200, ALL_CODES), anonymous=401)


def test_audit_log_page_names_the_codes_only_to_a_licensed_auditor(clients):
    def named(response):
        if response.status_code != 200:
            return response.status_code
        return response.status_code, sorted(set(re.findall(r"999\d\d", body(response))))

    table = ask(clients, AUDIT_CALLERS, "/audit/?system=cpt", named)
    # A page answers an API key as it answers anyone not signed in: off to sign in.
    assert table == audit_table((200, []), (200, ALL_CODES), anonymous=302, key=302)


@pytest.mark.parametrize("part", ["timeline", "blame"])
def test_audit_timeline_and_blame_are_refused_to_an_auditor_without_the_licence(clients, part):
    def status_and_text(response):
        return response.status_code, TEXT in body(response)

    url = f"/api/v1/audit/codes/cpt/99991/{part}"
    table = ask(clients, AUDIT_CALLERS, url, status_and_text)
    assert table == audit_table(
        (403, False), (200, True), anonymous=(401, False), key=(REFUSED_KEY, False)
    )


def test_audit_code_page_is_refused_to_an_auditor_without_the_licence(clients):
    table = ask(
        clients, AUDIT_CALLERS, "/audit/codes/cpt/99991", lambda response: response.status_code
    )
    assert table == audit_table(403, 200, anonymous=302, key=302)


def exported_csv(response):
    if response.status_code != 200:
        return response.status_code
    rows = list(csv.DictReader(io.StringIO(body(response))))
    return response.status_code, sorted(row["code"] for row in rows if row["system"] == "cpt")


def exported_jsonl(response):
    if response.status_code != 200:
        return response.status_code
    text = body(response)
    lines = [json.loads(line) for line in text.splitlines() if line]
    codes = sorted(line["code"] for line in lines if line["system"] == "cpt")
    return response.status_code, codes, TEXT in text


def test_audit_csv_export_holds_the_imports_events_only_for_a_licensed_auditor(clients):
    table = ask(clients, AUDIT_CALLERS, "/api/v1/audit/log/export.csv", exported_csv)
    assert table == audit_table((200, []), (200, ALL_CODES), anonymous=401)


def test_audit_json_lines_export_holds_the_imports_events_only_for_a_licensed_auditor(clients):
    table = ask(clients, AUDIT_CALLERS, "/api/v1/audit/log/export.jsonl", exported_jsonl)
    assert table == audit_table((200, [], False), (200, ALL_CODES, True), anonymous=401)
