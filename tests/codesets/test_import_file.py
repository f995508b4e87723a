"""Bring-your-own code sets (issue #25): `codes_import --file` reads a FHIR CodeSystem or a CSV
(fixtures of our own in tests/codesets/data, no CMS or AMA text) through the packaged imports'
pipeline: a first release registers the codes, a later one is a change set to review, and a
malformed file changes nothing and says where."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Licence, Membership, Organisation
from codes.models import CodeEntry
from codesets.models import ReleaseEntry, ReleaseItem
from events.models import Event
from events.testing import assert_projection_matches_rebuild
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the command projects after commit

DATA = Path(__file__).parent / "data"


def run(path, system, file_format, release="R1", *extra):
    out = io.StringIO()
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
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def custom_codes():
    return {
        entry.code: (entry.official_descriptor, entry.parent, entry.billable)
        for entry in CodeEntry.objects.filter(system="custom")
    }


WOUND_CARE = {
    "WC": ("FIXTURE wound-care activities", "", False),
    "WC-DRESS": ("FIXTURE dressing changes", "WC", False),
    "WC-DRESS.1": ("FIXTURE simple dressing change", "WC-DRESS", True),
    "WC-DRESS.2": ("FIXTURE dressing change with packing", "WC-DRESS", True),
    "WC-CHECK": ("FIXTURE wound check", "WC", True),
}


@pytest.mark.parametrize(
    "name, file_format", [("custom_wound_care.json", "fhir"), ("custom_wound_care.csv", "csv")]
)
def test_a_custom_hierarchical_system_is_registered_from_fhir_json_and_from_csv(name, file_format):
    run(DATA / name, "custom", file_format)
    assert custom_codes() == WOUND_CARE
    assert CodeEntry.objects.get(code="WC-DRESS.1").content["lay_terms"] == ["changing a bandage"]
    event = Event.objects.get(stream="code:custom:WC-CHECK")
    assert (event.type, event.meta["source"], event.meta["release"]) == (
        "CodeRegistered",
        f"custom-{file_format}-file",
        "R1",
    )
    assert event.data["effective_from"] == "2026-01-01"
    assert_projection_matches_rebuild("codes", "review", "codesets")


def test_importing_the_same_release_again_changes_nothing():
    run(DATA / "custom_wound_care.json", "custom", "fhir")
    before = Event.objects.count()
    run(DATA / "custom_wound_care.json", "custom", "fhir")
    assert Event.objects.count() == before == 5


def test_a_second_release_is_a_change_set_of_added_revised_and_retired_codes(people):
    run(DATA / "hcpcs_fixture_r1.csv", "hcpcs", "csv", "2026-Q1")
    out = run(DATA / "hcpcs_fixture_r2.csv", "hcpcs", "csv", "2026-Q2")
    assert "release change set proposed for review" in out
    release = ReleaseEntry.objects.get()
    kinds = dict(
        ReleaseItem.objects.filter(release_id=release.release_id).values_list("code", "kind")
    )
    assert kinds == {"Z9002": "revised", "Z9003": "retired", "Z9004": "retired", "Z9005": "added"}
    revised = ReleaseItem.objects.get(code="Z9002")
    assert revised.changes["official_descriptor"]["to"].endswith("positioning, any size")
    # Nothing touches the codes until a second person approves (four-eyes).
    assert not CodeEntry.objects.filter(code="Z9005").exists()
    decided = io.StringIO()
    call_command(
        "release_decide", release.release_id, "--reviewer", "bob", "--approve", stdout=decided
    )
    assert CodeEntry.objects.get(system="hcpcs", code="Z9005").official_descriptor == (
        "FIXTURE invented reusable hot pack"
    )
    assert CodeEntry.objects.get(system="hcpcs", code="Z9003").status == "retired"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CSV = (DATA / "custom_wound_care.csv").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "lines, message",
    [
        ([*GOOD_CSV[:4], "WC-X,FIXTURE x,,WC,maybe,active,", *GOOD_CSV[4:]], "line 5: billable"),
        ([*GOOD_CSV, "bad code!,FIXTURE x,,WC,true,active,"], "line 7: 'bad code!' is not a valid"),
        ([*GOOD_CSV, "WC-Y,FIXTURE y,,NOPE,true,active,"], "line 7: parent NOPE is not a code"),
        ([*GOOD_CSV, "WC,FIXTURE again,,,true,active,"], "line 7: WC is given twice"),
        ([*GOOD_CSV, "WC-Z,,,WC,true,active,"], "line 7: display: must not be empty"),
        (["code,title", *GOOD_CSV[1:]], "line 1: unknown column 'title'"),
    ],
)
def test_a_malformed_csv_changes_nothing_and_names_the_line(tmp_path, lines, message):
    path = write(tmp_path, "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(CommandError, match="nothing changed") as error:
        run(path, "custom", "csv")
    assert message in str(error.value)
    assert Event.objects.count() == 0


def test_a_code_given_twice_in_two_spellings_is_malformed(tmp_path):
    lines = ["code,display", "Z9001,FIXTURE one", "z9001,FIXTURE the same code"]
    with pytest.raises(CommandError, match="line 3: Z9001 is given twice \\(first at line 2\\)"):
        run(write(tmp_path, "twice.csv", "\n".join(lines) + "\n"), "hcpcs", "csv")
    assert Event.objects.count() == 0


def test_a_malformed_fhir_resource_changes_nothing_and_names_the_json_path(tmp_path):
    resource = json.loads((DATA / "custom_wound_care.json").read_text(encoding="utf-8"))
    del resource["concept"][0]["concept"][0]["concept"][1]["display"]
    path = write(tmp_path, "bad.json", json.dumps(resource))
    with pytest.raises(CommandError) as error:
        run(path, "custom", "fhir")
    assert "concept[0].concept[0].concept[1].display: missing" in str(error.value)
    assert Event.objects.count() == 0


def test_a_malformed_second_release_proposes_nothing(tmp_path):
    run(DATA / "hcpcs_fixture_r1.csv", "hcpcs", "csv", "2026-Q1")
    before = Event.objects.count()
    bad = (DATA / "hcpcs_fixture_r2.csv").read_text(encoding="utf-8") + "Z99,FIXTURE,,,,,\n"
    with pytest.raises(CommandError, match="line 7: 'Z99' is not a valid HCPCS Level II code"):
        run(write(tmp_path, "r2.csv", bad), "hcpcs", "csv", "2026-Q2")
    assert Event.objects.count() == before
    assert not ReleaseEntry.objects.exists()


def test_licensed_cpt_text_from_a_file_is_shown_only_to_licence_holders():
    run(DATA / "cpt_fixture.json", "cpt", "fhir")
    holder = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=holder, system="cpt")
    member = make_user("member")
    Membership.objects.create(user=member, organisation=holder)
    text = "FIXTURE invented visit of a made-up kind, brief"
    anonymous = Client()
    licensed = Client()
    licensed.force_login(member)
    assert text not in anonymous.get("/api/v1/codes/cpt/99991").content.decode()
    assert text not in anonymous.get("/codes/cpt/99991").content.decode()
    assert licensed.get("/api/v1/codes/cpt/99991").json()["content"]["official_descriptor"] == text


def test_a_release_without_a_column_does_not_revise_that_field(tmp_path):
    run(DATA / "hcpcs_fixture_r1.csv", "hcpcs", "csv", "2026-Q1")
    narrow = [
        "code,display,parent,status",
        "Z9000,FIXTURE supplies of invented kinds (header),,active",
        '"Z9001","FIXTURE invented gauze roll, sterile, per roll",Z9000,active',
        "Z9002,FIXTURE invented foam wedge for positioning,Z9000,active",
        "Z9003,FIXTURE invented cold pack,Z9000,active",
        "Z9004,FIXTURE invented heel protector,Z9000,active",
    ]
    run(write(tmp_path, "narrow.csv", "\n".join(narrow) + "\n"), "hcpcs", "csv", "2026-Q2")
    # Same descriptors and parents; no short descriptor or billable column: nothing to review.
    assert not ReleaseItem.objects.exists()
