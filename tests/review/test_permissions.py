"""Every cell of the permission matrix in docs/permissions.md, through the API."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from codeledger.domain import actor_for
from codesets.importing import propose_release
from codesets.sources import SourceCode
from events.projections import catch_up_all
from events.testing import assert_projection_matches_rebuild
from review.actions import change_request_approve, change_request_submit

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "api_key", "nobody", "alice", "bob", "audrey", "root"]
#              anonymous api_key nobody editor reviewer auditor admin
MATRIX = {
    "read_code": (200, 200, 200, 200, 200, 200, 200),
    "read_history": (200, 200, 200, 200, 200, 200, 200),
    "list_requests": (401, 403, 403, 200, 200, 200, 200),
    "read_request": (401, 403, 403, 200, 200, 200, 200),
    "create_request": (401, 403, 403, 201, 201, 403, 201),
    "comment": (401, 403, 403, 200, 200, 403, 200),
    "revise_own": (401, 403, 403, 200, 200, 403, 200),
    "withdraw_own": (401, 403, 403, 200, 200, 403, 200),
    "withdraw_other": (401, 403, 403, 403, 403, 403, 403),
    "approve_other": (401, 403, 403, 403, 200, 403, 200),
    "reject_other": (401, 403, 403, 403, 200, 403, 200),
    "request_changes": (401, 403, 403, 403, 200, 403, 200),
    "revert": (401, 403, 403, 403, 201, 403, 201),
    "confirm_description": (401, 403, 403, 200, 200, 403, 200),
    "list_releases": (401, 403, 403, 200, 200, 200, 200),
    "approve_release": (401, 403, 403, 403, 200, 403, 200),
    "reject_release": (401, 403, 403, 403, 200, 403, 200),
}

URL = "/api/v1/change-requests"
CODE = "/api/v1/codes/icd10cm/I21.4"


@pytest.fixture
def world(people, nstemi):
    """I21.4 at version 2 (official descriptor revised: description needs review), and an
    open request by eve, the editor nobody else is."""
    eve, carol = actor_for(people["eve"]), actor_for(people["carol"])
    first = change_request_submit(
        actor=eve,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"official_descriptor": "NSTEMI, initial"},
        rationale="new wording",
    )
    change_request_approve(
        actor=carol, change_id=first.change_request.change_id, expected_version=1
    )
    other = change_request_submit(
        actor=eve,
        system="icd10cm",
        code="I21.4",
        base_version=2,
        changes={"short_descriptor": "NSTEMI"},
        rationale="shorter",
    )
    release = propose_release(
        lambda: iter([SourceCode("icd10cm", "I21.9", {"official_descriptor": "AMI, unspecified"})]),
        system="icd10cm",
        source="test-next",
        release="FY2026",
        provides=("official_descriptor",),
    )
    return {"other": other.change_request.change_id, "release": release.release_id}


def client_for(role, people):
    client = APIClient()
    if role == "api_key":
        _, key = APIKey.objects.create_key(name="consumer")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    elif role != "anonymous":
        client.force_authenticate(people[role])
    return client


def own_request(role, people, world):
    """A request the actor proposed themselves, when they may propose; else eve's."""
    if role in ("alice", "bob", "root"):
        written = change_request_submit(
            actor=actor_for(people[role]),
            system="icd10cm",
            code="I21.4",
            base_version=2,
            changes={"lay_terms": ["heart attack", "NSTEMI"]},
            rationale="lay term",
        )
        return written.change_request.change_id
    return world["other"]


def perform(action, client, role, people, world):
    other = world["other"]
    if action == "read_code":
        return client.get(CODE)
    if action == "read_history":
        return client.get(f"{CODE}/history")
    if action == "list_requests":
        return client.get(URL)
    if action == "read_request":
        return client.get(f"{URL}/{other}")
    if action == "create_request":
        return client.post(
            URL,
            {
                "system": "icd10cm",
                "code": "I21.4",
                "base_version": 2,
                "changes": {"block": "Ischemic heart diseases"},
                "rationale": "why",
            },
            format="json",
        )
    if action == "comment":
        return client.post(f"{URL}/{other}/comments", {"text": "hm"}, format="json")
    if action == "revise_own":
        mine = own_request(role, people, world)
        return client.post(
            f"{URL}/{mine}/revise",
            {
                "expected_version": 1,
                "base_version": 2,
                "changes": {"lay_terms": ["MI"]},
                "rationale": "better",
            },
            format="json",
        )
    if action == "withdraw_own":
        mine = own_request(role, people, world)
        return client.post(f"{URL}/{mine}/withdraw", {"expected_version": 1}, format="json")
    if action == "withdraw_other":
        return client.post(f"{URL}/{other}/withdraw", {"expected_version": 1}, format="json")
    if action == "approve_other":
        return client.post(f"{URL}/{other}/approve", {"expected_version": 1}, format="json")
    if action == "reject_other":
        return client.post(
            f"{URL}/{other}/reject", {"expected_version": 1, "reason": "no"}, format="json"
        )
    if action == "request_changes":
        return client.post(
            f"{URL}/{other}/request-changes",
            {"expected_version": 1, "message": "fix"},
            format="json",
        )
    if action == "revert":
        return client.post(f"{CODE}/versions/2/revert", {"rationale": "undo"}, format="json")
    if action == "confirm_description":
        return client.post(f"{CODE}/confirm-description", {"expected_version": 2}, format="json")
    if action == "list_releases":
        return client.get("/api/v1/releases")
    if action == "approve_release":
        return client.post(
            f"/api/v1/releases/{world['release']}/approve", {"codes": ["I21.9"]}, format="json"
        )
    if action == "reject_release":
        return client.post(
            f"/api/v1/releases/{world['release']}/reject", {"reason": "not yet"}, format="json"
        )
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(action, role, people, world):
    catch_up_all()
    response = perform(action, client_for(role, people), role, people, world)
    expected = MATRIX[action][ROLES.index(role)]
    assert response.status_code == expected, (action, role, response.content[:300])
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
    else:
        assert_projection_matches_rebuild("codes", "review", "codesets")


def test_an_invalid_api_key_is_refused(people, world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key not-a-key")
    assert client.get(CODE).status_code == 401  # a key that is not valid authenticates no one


def test_revoked_expired_and_forged_api_keys_are_refused(people, world):
    from datetime import timedelta

    from django.utils import timezone

    _, revoked = APIKey.objects.create_key(name="revoked", revoked=True)
    yesterday = timezone.now() - timedelta(days=1)
    _, expired = APIKey.objects.create_key(name="expired", expiry_date=yesterday)
    _, good = APIKey.objects.create_key(name="good")
    forged = good.partition(".")[0] + ".not-the-secret"  # a real prefix, a wrong secret
    catch_up_all()
    for header in (
        f"Api-Key {revoked}",
        f"Api-Key {expired}",
        f"Api-Key {forged}",
        f"Api-Key  {good}",  # as HasAPIKey reads the header: no other spacing
    ):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        refused = client.get(CODE)
        assert refused.status_code == 401, header
        assert refused["Content-Type"] == "application/problem+json"
        assert "API key is not valid" in refused.json()["detail"], header
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {good}")
    assert client.get(CODE).status_code == 200
