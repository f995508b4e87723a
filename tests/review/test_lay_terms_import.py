"""Curated lay terms applied as reviewed change requests: merged, idempotent, all or nothing."""

import io
import warnings

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from codeledger.elastic import elasticsearch_client
from codes.selectors import load_code
from codesets.actions import code_register
from events.models import Event
from events.projections import catch_up
from events.store import head_position
from events.testing import assert_projection_matches_rebuild
from review.actions import load_change_request
from search.documents import alias

pytestmark = pytest.mark.django_db

HEADER = "# a comment line\nsystem,code,lay_terms\n"


def register(code, title, lay_terms=()):
    return code_register(
        system="icd10cm",
        code=code,
        content={"official_descriptor": title, "billable": True, "lay_terms": list(lay_terms)},
        source="test",
        release="test",
    )


@pytest.fixture
def codes():
    register("I10", "Essential (primary) hypertension")
    register("K80.20", "Calculus of gallbladder without cholecystitis without obstruction")
    register("E11.9", "Type 2 diabetes mellitus without complications", ["Diabetes NOS"])
    register("M06.9", "Rheumatoid arthritis, unspecified")


def seed(tmp_path, rows: str):
    path = tmp_path / "lay_terms.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def run(path) -> str:
    out = io.StringIO()
    call_command("lay_terms_import", file=path, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def lay_terms(code):
    return load_code("icd10cm", code).content["lay_terms"]


def test_terms_are_added_by_one_curator_and_approved_by_another(codes, tmp_path):
    path = seed(tmp_path, "icd10cm,I10,high blood pressure|HTN\nicd10cm,k8020,gallstones\n")
    assert "2 changed (3 terms added)" in run(path)
    assert lay_terms("I10") == ["high blood pressure", "HTN"]
    assert lay_terms("K80.20") == ["gallstones"]
    submitted = Event.objects.get(
        stream__startswith="change:", type="ChangeRequestSubmitted", data__code="I10"
    )
    request = load_change_request(submitted.stream.removeprefix("change:"))
    assert request.status == "approved"
    assert request.proposer == "lay-terms-curator"
    approved = Event.objects.get(stream=submitted.stream, type="ChangeRequestApproved")
    assert approved.meta["actor"] == "lay-terms-reviewer"
    assert_projection_matches_rebuild("codes", "review", "codesets")


def test_existing_terms_are_kept_and_rows_for_one_code_merge(codes, tmp_path):
    path = seed(tmp_path, "icd10cm,E11.9,sugar diabetes|diabetes nos\nicd10cm,E11.9,T2DM\n")
    run(path)
    assert lay_terms("E11.9") == ["Diabetes NOS", "sugar diabetes", "T2DM"]


def test_rerunning_changes_nothing(codes, tmp_path):
    path = seed(tmp_path, "icd10cm,I10,HTN\nicd10cm,M06.9,RA\n")
    run(path)
    head = head_position()
    assert "0 changed" in run(path)
    assert head_position() == head


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("icd10cm,I10,HTN\nicd10cm,Z99.99,something\n", "Z99.99: no such code"),
        ("icd10cm,I10,HTN\nicd11,I10,HTN\n", "line 4: unknown system 'icd11'"),
        ("icd10cm,I10,HTN\nicd10cm,not a code,HTN\n", "line 4: 'not a code'"),
        ("icd10cm,I10,HTN|\n", "line 3: I10 has an empty term"),
        ("icd10cm,I10,\n", "line 3: I10 has no lay terms"),
        ("icd10cm,I10\n", "line 3: 2 columns, expected 3"),
        ("icd10cm,I10," + "x" * 201 + "\n", "201 characters; the limit is 200"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_and_writes_nothing(codes, tmp_path, rows, message):
    head = head_position()
    with pytest.raises(CommandError, match="refused") as refused:
        run(seed(tmp_path, rows))
    assert message in str(refused.value)
    assert head_position() == head
    assert lay_terms("I10") == []


def test_a_wrong_header_is_refused(codes, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,terms\nI10,HTN\n", encoding="utf-8")
    with pytest.raises(CommandError, match="header must be system,code,lay_terms"):
        run(path)


@pytest.mark.elasticsearch
@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_after_the_import_htn_finds_i10_through_the_search_api(codes, tmp_path):
    run(seed(tmp_path, "icd10cm,I10,high blood pressure|HTN\nicd10cm,M06.9,RA\n"))
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())
    client = APIClient()
    for query, code in [("HTN", "I10"), ("high blood pressure", "I10"), ("RA", "M06.9")]:
        hits = client.get("/api/v1/codes/search", {"q": query}).json()["hits"]
        assert [hit["code"] for hit in hits][:1] == [code], query


def test_the_curated_seed_file_names_only_real_icd10cm_2026_codes():
    from review.management.commands.lay_terms_import import SEED_FILE, read_seed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    additions = read_seed(SEED_FILE)
    assert len(additions) >= 150
    unknown = [a.code for a in additions if not cm.is_valid_item(a.code)]
    assert unknown == []
    assert "# Source: curated" in SEED_FILE.read_text(encoding="utf-8")
