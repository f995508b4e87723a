"""True effective dates (issue #24): an imported code is in force from its release's date, and
known from the day CodeLedger imported it; a later release's changes carry the later date.
Asked through the code API (`as_of`, `known_at`) and its history."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from codesets.importing import import_codes, propose_release
from codesets.sources import SourceCode

# The command and the approval commit, project after commit and close their connection.
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/codes/icd10cm/{}"


@pytest.mark.slow  # reads the whole April 2026 tabular (seconds)
def test_the_april_2026_import_is_in_force_from_april_and_known_from_the_import(as_user):
    started = timezone.now()
    call_command("codes_import", "icd10cm-2026", "--only", "J45.90", stdout=io.StringIO())
    reviewer = as_user("bob")  # editorial staff: nothing withheld

    in_may = reviewer.get(URL.format("J45.909"), {"as_of": "2026-05-01"})
    assert in_may.status_code == 200, in_may.content
    assert in_may.json()["content"]["official_descriptor"] == "Unspecified asthma, uncomplicated"
    before = reviewer.get(URL.format("J45.909"), {"as_of": "2026-03-31"})
    assert before.status_code == 404, before.content
    # On 2026-05-01 CodeLedger had not imported it yet: what it said then was "no such code".
    then = reviewer.get(
        URL.format("J45.909"), {"as_of": "2026-05-01", "known_at": "2026-05-01T12:00:00Z"}
    )
    assert then.status_code == 404, then.content

    (registered,) = reviewer.get(URL.format("J45.909") + "/history").json()["versions"]
    assert registered["effective_from"] == "2026-04-01"
    assert registered["recorded_at"] >= started.isoformat().replace("+00:00", "Z")


def _cm(code, title):
    return SourceCode("icd10cm", code, {"official_descriptor": title, "billable": True})


def test_a_later_release_is_in_force_from_its_own_date(as_user):
    import_codes(
        lambda: iter([_cm("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy")]),
        system="icd10cm",
        source="cm-old",
        release="FY2025",
        effective_from=date(2024, 10, 1),
    )
    release = propose_release(
        lambda: iter([_cm("M35.04", "Sjögren syndrome with tubulo-interstitial nephropathy")]),
        system="icd10cm",
        source="cm-new",
        release="April 2026",
        provides=("official_descriptor",),
        effective_from=date(2026, 4, 1),
    )
    approved = as_user("bob").post(
        f"/api/v1/releases/{release.release_id}/approve", {}, format="json"
    )
    assert approved.status_code == 200, approved.content

    def title_on(day):
        response = as_user("bob").get(URL.format("M35.04"), {"as_of": day})
        return response.status_code, response.json().get("content", {}).get("official_descriptor")

    assert title_on("2024-09-30")[0] == 404
    assert title_on("2024-10-01") == (200, "Sjogren syndrome with tubulo-interstitial nephropathy")
    assert title_on("2026-03-31") == (200, "Sjogren syndrome with tubulo-interstitial nephropathy")
    assert title_on("2026-05-01") == (200, "Sjögren syndrome with tubulo-interstitial nephropathy")
    history = as_user("bob").get(URL.format("M35.04") + "/history").json()["versions"]
    assert [(v["effective_from"], v["release"]) for v in history] == [
        ("2024-10-01", "FY2025"),
        ("2026-04-01", "April 2026"),
    ]
