"""The admin screen that imports a code-set file (codesets.upload), through Django's test
client: the same import as `codes_import --file`, for admins only; a malformed file re-shows the
form with its line and writes nothing."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from codes.models import CodeEntry, CodeSystemEntry
from codesets.models import ReleaseEntry
from events.models import Event

pytestmark = pytest.mark.django_db(transaction=True)  # the import projects after commit

DATA = Path(__file__).parent / "data"
URL = "/releases/import-file"


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client, name, system="custom", file_format="csv", release="R1", content=None):
    content = content if content is not None else (DATA / name).read_bytes()
    return client.post(
        URL,
        {
            "system": system,
            "file_format": file_format,
            "release": release,
            "effective_from": "2026-01-01",
            "file": SimpleUploadedFile(name, content),
        },
    )


@pytest.mark.parametrize(
    "who, status", [("root", 200), ("bob", 403), ("alice", 403), ("audrey", 403), (None, 302)]
)
def test_only_admins_open_the_form(people, who, status):
    response = client_for(people[who] if who else None).get(URL)
    assert response.status_code == status


def test_an_admin_imports_a_custom_system_and_is_told_how_many_codes(people):
    admin = client_for(people["root"])
    response = post(admin, "custom_wound_care.json", file_format="fhir")
    assert response.status_code == 302 and response["Location"] == "/releases/"
    assert CodeEntry.objects.filter(system="custom").count() == 5
    page = admin.get("/releases/").content.decode()
    assert "Custom R1: 5 codes registered (0 were already)." in page
    assert 'href="/releases/import-file"' in page


def test_a_second_release_opens_its_change_set(people):
    admin = client_for(people["root"])
    post(admin, "hcpcs_fixture_r1.csv", system="hcpcs", release="2026-Q1")
    response = post(admin, "hcpcs_fixture_r2.csv", system="hcpcs", release="2026-Q2")
    release = ReleaseEntry.objects.get()
    assert response["Location"] == f"/releases/{release.release_id}/"
    assert (release.source, release.release) == ("hcpcs-csv-file", "2026-Q2")


def test_a_malformed_file_reshows_the_form_with_its_line_and_writes_nothing(people):
    bad = (DATA / "custom_wound_care.csv").read_bytes() + b"WC-Y,FIXTURE y,,NOPE,true,active,\n"
    response = post(client_for(people["root"]), "bad.csv", content=bad)
    assert response.status_code == 400
    assert "line 7: parent NOPE is not a code of the file" in response.content.decode()
    assert Event.objects.count() == 0


def test_a_reviewer_cannot_post_an_import(people):
    response = post(client_for(people["bob"]), "custom_wound_care.csv")
    assert response.status_code == 403
    assert Event.objects.count() == 0


def test_an_admin_defines_a_licensed_system_from_the_form(people):
    admin = client_for(people["root"])
    response = admin.post(
        URL,
        {
            "system": "clinic-wc",
            "file_format": "csv",
            "release": "R1",
            "file": SimpleUploadedFile("clinic.csv", (DATA / "custom_wound_care.csv").read_bytes()),
            "label": "Clinic wound care (fixture)",
            "url": "https://example.org/fixture/clinic-wc",
            "publisher": "Fixture Clinic",
            "licence": "FIXTURE terms of the clinic",
            "licensed": "yes",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/releases/"
    entry = CodeSystemEntry.objects.get()
    assert (entry.name, entry.label, entry.licensed) == (
        "clinic-wc",
        "Clinic wound care (fixture)",
        True,
    )
    page = admin.get("/releases/").content.decode()
    assert "Clinic wound care (fixture) R1: 5 codes registered (0 were already)." in page
    assert 'option value="clinic-wc"' in admin.get(URL).content.decode()
