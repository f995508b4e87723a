"""A code set that defines its own system (issue #25, "creates the system if new"): `manage.py
codes_import --file F --format fhir|csv --system NAME` records the system's definition as events
(codesystem:NAME), from the CodeSystem resource's metadata or the command's options, and its
codes answer on the code page and in the API like a packaged system's; a licensed one is hidden
from readers without the licence as CPT is. Fixtures of our own in tests/codesets/data."""

import io
import json
import re
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from accounts.licensing import unlicensed_systems
from accounts.models import Licence, Membership, Organisation
from codes.models import CodeEntry, CodeSystemEntry
from codes.systems import SYSTEMS, get_system
from codesets.files import ImportRefused, import_file
from codesets.models import ReleaseEntry, ReleaseItem
from events.models import Event
from events.testing import assert_projection_matches_rebuild
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the command projects after commit

DATA = Path(__file__).parent / "data"


def run(path, system, file_format, release="R1", *options):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "codes_import",
        "--file",
        str(path),
        "--system",
        system,
        "--format",
        file_format,
        "--release",
        release,
        "--effective-from",
        "2026-01-01",
        *options,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def definition(name) -> dict:
    row = CodeSystemEntry.objects.values().get(name=name)
    return {
        key: row[key] for key in ("label", "url", "publisher", "licence", "licensed", "version")
    }


def test_a_fhir_code_system_defines_its_system_from_the_resource():
    out, _ = run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    assert "the file defines the code system wound-care" in out
    assert definition("wound-care") == {
        "label": "Invented wound-care activities (a CodeLedger test fixture)",
        "url": "https://example.org/fhir/CodeSystem/fixture-wound-care",
        "publisher": "CodeLedger tests",
        "licence": "FIXTURE terms: free to use in CodeLedger tests",
        "licensed": False,
        "version": "1",
    }
    assert Event.objects.filter(stream="codesystem:wound-care").count() == 1
    assert CodeEntry.objects.filter(system="wound-care").count() == 5
    assert_projection_matches_rebuild("code_systems", "codes")


def test_the_code_page_and_the_api_name_the_file_defined_system_and_its_terms():
    run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    line = (
        "Invented wound-care activities (a CodeLedger test fixture), CodeLedger tests "
        "(https://example.org/fhir/CodeSystem/fixture-wound-care). FIXTURE terms: free to use "
        "in CodeLedger tests."
    )
    answer = Client().get("/api/v1/codes/wound-care/WC-CHECK")
    assert answer.status_code == 200
    assert answer.json()["content"]["official_descriptor"] == "FIXTURE wound check"
    assert answer.json()["attribution"]["official_descriptor"]["line"] == line
    page = Client().get("/codes/wound-care/WC-CHECK")
    assert page.status_code == 200
    assert line in page.content.decode()


def test_a_csv_code_set_defines_its_system_from_the_options():
    run(
        DATA / "custom_wound_care.csv",
        "clinic-wc",
        "csv",
        "R1",
        "--label",
        "Clinic wound care (fixture)",
        "--url",
        "https://example.org/fixture/clinic-wc",
        "--publisher",
        "Fixture Clinic",
        "--licence",
        "FIXTURE terms of the clinic",
        "--code-pattern",
        "WC(-[A-Z]+(\\.[0-9])?)?",
        "--code-format",
        "WC, then a dash and letters, then a dot and a digit",
    )
    assert definition("clinic-wc") == {
        "label": "Clinic wound care (fixture)",
        "url": "https://example.org/fixture/clinic-wc",
        "publisher": "Fixture Clinic",
        "licence": "FIXTURE terms of the clinic",
        "licensed": False,
        "version": "",
    }
    system = get_system("clinic-wc")
    assert (system.label, system.url, system.publisher, system.packaged) == (
        "Clinic wound care (fixture)",
        "https://example.org/fixture/clinic-wc",
        "Fixture Clinic",
        False,
    )
    assert list(SYSTEMS)[-1] == "clinic-wc"
    assert sorted(CodeEntry.objects.filter(system="clinic-wc").values_list("code", flat=True)) == [
        "WC",
        "WC-CHECK",
        "WC-DRESS",
        "WC-DRESS.1",
        "WC-DRESS.2",
    ]


def test_a_code_that_breaks_the_given_pattern_names_its_line_and_defines_nothing():
    message = "line 2: 'WC' is not a valid Strict code (only digits)"
    with pytest.raises(CommandError, match=re.escape(message)):
        run(
            DATA / "custom_wound_care.csv",
            "strict",
            "csv",
            "R1",
            "--label",
            "Strict",
            "--code-pattern",
            "[0-9]+",
            "--code-format",
            "only digits",
        )
    assert Event.objects.count() == 0
    assert not CodeSystemEntry.objects.exists()
    assert "strict" not in SYSTEMS


def licence_holder(system: str):
    holder = Organisation.objects.create(name=f"Holder of {system}")
    Licence.objects.create(organisation=holder, system=system)
    member = make_user(f"member-{system}")
    Membership.objects.create(user=member, organisation=holder)
    client = Client()
    client.force_login(member)
    return client


def test_a_licensed_file_defined_system_is_hidden_without_the_licence_as_cpt_is():
    run(DATA / "cpt_fixture.json", "cpt", "fhir")
    run(DATA / "licensed_fixture.json", "fixture-lp", "fhir")
    assert definition("fixture-lp")["licensed"] is True
    anonymous = Client()
    cpt = anonymous.get("/api/v1/codes/cpt/99991")
    ours = anonymous.get("/api/v1/codes/fixture-lp/LP-1.1")
    assert (ours.status_code, ours.json()["withheld"]) == (cpt.status_code, cpt.json()["withheld"])
    assert ours.json()["content"]["official_descriptor"] == ""
    text = "FIXTURE invented licensed procedure, first kind"
    assert text not in anonymous.get("/codes/fixture-lp/LP-1.1").content.decode()
    assert "fixture-lp" in unlicensed_systems(anonymous.get("/").wsgi_request)
    holder = licence_holder("fixture-lp")
    assert holder.get("/api/v1/codes/fixture-lp/LP-1.1").json()["content"][
        "official_descriptor"
    ] == (text)
    assert text in holder.get("/codes/fixture-lp/LP-1.1").content.decode()


def test_importing_the_same_file_again_changes_nothing():
    run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    before = Event.objects.count()
    out, _ = run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    assert "defines" not in out and "revises" not in out
    assert Event.objects.count() == before == 6


def test_a_later_release_with_other_metadata_revises_the_definition_and_proposes_items(tmp_path):
    run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    resource = json.loads((DATA / "custom_wound_care.json").read_text(encoding="utf-8"))
    resource["version"] = "2"
    resource["publisher"] = "CodeLedger tests, second edition"
    wound_care = resource["concept"][0]["concept"]
    wound_care[1]["display"] = "FIXTURE wound check, revised"  # WC-CHECK
    wound_care[0]["concept"].pop()  # WC-DRESS.2 retired
    wound_care.append({"code": "WC-TEACH", "display": "FIXTURE wound-care teaching"})
    path = tmp_path / "r2.json"
    path.write_text(json.dumps(resource), encoding="utf-8")
    out, _ = run(path, "wound-care", "fhir", "R2")
    assert "the file revises the code system wound-care" in out
    revision = Event.objects.get(stream="codesystem:wound-care", version=2)
    assert (revision.type, revision.data["changes"]) == (
        "CodeSystemRevised",
        {
            "publisher": {"from": "CodeLedger tests", "to": "CodeLedger tests, second edition"},
            "version": {"from": "1", "to": "2"},
        },
    )
    assert get_system("wound-care").publisher == "CodeLedger tests, second edition"
    release = ReleaseEntry.objects.get()
    kinds = dict(
        ReleaseItem.objects.filter(release_id=release.release_id).values_list("code", "kind")
    )
    assert kinds == {"WC-CHECK": "revised", "WC-DRESS.2": "retired", "WC-TEACH": "added"}
    assert_projection_matches_rebuild("code_systems", "codesets")


def test_a_packaged_system_keeps_its_definition(tmp_path):
    with pytest.raises(CommandError, match=r"hcpcs is a packaged system: .* \(leave out --label\)"):
        run(DATA / "hcpcs_fixture_r1.csv", "hcpcs", "csv", "R1", "--label", "Not HCPCS")
    assert Event.objects.count() == 0
    run(DATA / "cpt_fixture.json", "cpt", "fhir")  # its resource's metadata are not a definition
    assert not CodeSystemEntry.objects.exists()
    assert get_system("cpt").label == "CPT"


def test_a_malformed_file_defines_no_system_and_names_the_json_path(tmp_path):
    resource = json.loads((DATA / "licensed_fixture.json").read_text(encoding="utf-8"))
    resource["concept"][0]["concept"][1]["property"] = [{"code": "status", "valueCode": "odd"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(resource), encoding="utf-8")
    message = "concept[0].concept[1].property[0].valueCode: unknown status 'odd'"
    with pytest.raises(CommandError, match=re.escape(message)):
        run(path, "fixture-lp", "fhir")
    assert Event.objects.count() == 0
    assert not CodeSystemEntry.objects.exists()


def test_a_file_that_is_not_json_changes_nothing(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text((DATA / "licensed_fixture.json").read_text(encoding="utf-8")[:300])
    with pytest.raises(CommandError, match="nothing changed: not JSON"):
        run(path, "fixture-lp", "fhir")
    assert Event.objects.count() == 0


def as_of(code, day):
    return Client().get(f"/api/v1/codes/dated/{code}", {"as_of": day})


@pytest.mark.parametrize(
    "name, file_format", [("dated_fixture_r1.csv", "csv"), ("dated_fixture_r1.json", "fhir")]
)
def test_a_code_is_in_force_from_its_own_day_and_retired_on_its_own_day(name, file_format):
    run(DATA / name, "dated", file_format)
    assert as_of("D-1.1", "2026-01-01").status_code == 200
    assert as_of("D-1.2", "2030-06-30").status_code == 404
    assert as_of("D-1.2", "2030-07-01").json()["content"]["status"] == "active"
    assert as_of("D-1.3", "2030-09-30").json()["content"]["status"] == "active"
    assert as_of("D-1.3", "2030-10-01").json()["content"]["status"] == "retired"
    assert not CodeEntry.objects.get(system="dated", code="D-1.2").in_force
    assert_projection_matches_rebuild("codes")


def test_a_later_release_schedules_its_codes_own_days(people):
    run(DATA / "dated_fixture_r1.csv", "dated", "csv")
    run(DATA / "dated_fixture_r2.csv", "dated", "csv", "R2")
    release = ReleaseEntry.objects.get()
    kinds = dict(
        ReleaseItem.objects.filter(release_id=release.release_id).values_list("code", "kind")
    )
    assert kinds == {"D-1.1": "retired", "D-1.4": "added"}
    reviewer = Client()
    reviewer.force_login(people["bob"])
    listed = reviewer.get(f"/api/v1/releases/{release.release_id}/items").json()["results"]
    assert {item["code"]: item["effective_from"] for item in listed} == {
        "D-1.1": "2031-03-01",
        "D-1.4": "2031-01-01",
    }
    page = reviewer.get(f"/releases/{release.release_id}/").content.decode()
    assert "from 2031-03-01" in page and "from 2031-01-01" in page
    call_command(
        "release_decide",
        str(release.release_id),
        "--reviewer",
        "bob",
        "--approve",
        stdout=io.StringIO(),
    )
    assert as_of("D-1.1", "2031-02-28").json()["content"]["status"] == "active"
    assert as_of("D-1.1", "2031-03-01").json()["content"]["status"] == "retired"
    assert as_of("D-1.4", "2030-12-31").status_code == 404
    assert as_of("D-1.4", "2031-01-01").status_code == 200


def test_the_progress_shows_in_a_log_that_is_not_a_terminal():
    _, err = run(DATA / "custom_wound_care.csv", "custom", "csv")
    lines = err.splitlines()
    assert any(line.startswith("checking custom_wound_care.csv") for line in lines)
    assert any(
        line.startswith("importing custom_wound_care.csv") and "5/5" in line for line in lines
    )


def test_an_import_outlasting_the_systems_refresh_completes(monkeypatch):
    """Every lookup of the system re-reads it (as when an import takes longer than the
    refresh): none may happen while the event store's COPY holds the connection."""
    monkeypatch.setattr("codes.systems.REFRESH_SECONDS", -1.0)
    run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    assert CodeEntry.objects.filter(system="wound-care").count() == 5


def test_a_cpt_file_cannot_become_an_unlicensed_system_under_another_name():
    message = (
        "import refused, nothing changed: the system's definition: "
        "http://www.ama-assn.org/go/cpt is cpt's canonical URL: import the file with --system cpt"
    )
    with pytest.raises(CommandError) as error:
        run(DATA / "cpt_fixture.json", "my-cpt", "fhir")
    assert str(error.value) == message
    assert Event.objects.count() == 0


def test_two_imports_defining_one_system_at_once_define_it_once():
    """Two processes' imports of a new system (threads with their own connections here): the
    event store lets one definition through; the other import is refused with a message or,
    when it read the system after the first committed, finds nothing to do."""
    barrier = threading.Barrier(2)
    outcomes = []

    def one_import():
        barrier.wait()
        try:
            import_file(
                DATA / "custom_wound_care.json",
                system="wound-care",
                file_format="fhir",
                release="R1",
            )
            outcomes.append("imported")
        except ImportRefused as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_import) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = (
        "the code system wound-care was defined or revised by another import meanwhile: "
        "run this one again"
    )
    assert sorted(outcomes) in (["imported", "imported"], ["imported", refused])
    assert Event.objects.filter(stream="codesystem:wound-care").count() == 1
    assert Event.objects.filter(stream__startswith="code:wound-care:").count() == 5


def test_the_api_takes_a_system_defined_after_its_serializers_were_made():
    """The API's `system` parameters are checked against the systems known when a request
    comes, not when the server started: a system a file defines while it runs is taken at once
    (codeledger.api.SystemField)."""
    client = Client()
    client.force_login(make_user("checker", "editor"))
    before = client.post(
        "/api/v1/codes/check",
        {"system": "wound-care", "codes": ["WC"]},
        content_type="application/json",
    )
    assert before.status_code == 400
    run(DATA / "custom_wound_care.json", "wound-care", "fhir")
    after = client.post(
        "/api/v1/codes/check",
        {"system": "wound-care", "codes": ["WC"]},
        content_type="application/json",
    )
    assert after.status_code == 200, after.content
    assert after.json()["system"] == "wound-care"
