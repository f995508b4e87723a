"""Personal access tokens through the API (accounts/tokens.py): a token acts as its person, with
their roles and no more; every token that does not authenticate is a 401 problem with a Bearer
challenge; the secret is never stored."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PersonalAccessToken
from accounts.tokens import LAST_USED_EVERY, token_create, token_revoke
from events.models import Event
from events.projections import catch_up_all

pytestmark = pytest.mark.django_db

URL = "/api/v1/change-requests"
CODE = "/api/v1/codes/icd10cm/I21.4"
LOOKUP = "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=I21.4"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def token_of(user, **kwargs) -> str:
    return token_create(user=user, name="script", **kwargs)[1]


def propose(client, **overrides):
    body = {
        "system": "icd10cm",
        "code": "I21.4",
        "base_version": 1,
        "changes": {"short_descriptor": "NSTEMI"},
        "rationale": "CMS short form",
    }
    return client.post(URL, {**body, **overrides}, format="json")


def assert_refused(response, contains: str):
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert contains in response.json()["detail"], response.json()


@pytest.fixture
def world(people, nstemi):
    catch_up_all()
    return people


def test_an_editors_token_proposes_a_change_as_the_editor(world):
    created = propose(bearer(token_of(world["alice"])))
    assert created.status_code == 201, created.content
    assert created.json()["proposer"] == "alice"


def test_a_reviewers_token_approves_others_changes_but_not_their_own(world):
    bob = bearer(token_of(world["bob"]))
    alices = propose(bearer(token_of(world["alice"]))).json()
    bobs = propose(bob, changes={"lay_terms": ["heart attack", "NSTEMI"]}).json()
    before = Event.objects.count()

    own = bob.post(f"{URL}/{bobs['change_id']}/approve", {"expected_version": 1}, format="json")
    assert own.status_code == 403, own.content
    assert own.json()["reason"] == "four_eyes"
    assert Event.objects.count() == before

    other = bob.post(f"{URL}/{alices['change_id']}/approve", {"expected_version": 1}, format="json")
    assert other.status_code == 200, other.content
    assert other.json()["reviewer"] == "bob"


def test_a_token_keeps_its_persons_limits_an_auditors_token_cannot_propose(world):
    audrey = token_create(user=world["audrey"], name="reports")[1]
    assert bearer(audrey).get(URL).status_code == 200
    assert propose(bearer(audrey)).status_code == 403


def test_a_token_of_one_person_never_acts_as_another(world):
    alice, eve = token_of(world["alice"]), token_of(world["eve"])
    assert propose(bearer(alice)).json()["proposer"] == "alice"
    assert propose(bearer(eve), rationale="other").json()["proposer"] == "eve"
    # Eve's prefix with Alice's secret is neither of them.
    eve_prefix, alice_secret = eve.split("_")[1], alice.split("_")[2]
    assert_refused(propose(bearer(f"clt_{eve_prefix}_{alice_secret}")), "not valid")


def test_a_revoked_token_is_refused(world):
    token, raw = token_create(user=world["alice"], name="old laptop")
    assert bearer(raw).get(URL).status_code == 200
    token_revoke(actor=world["alice"], token=token)
    assert_refused(bearer(raw).get(URL), "revoked")


def test_an_expired_token_is_refused(world):
    token, raw = token_create(user=world["alice"], name="ci", expires_in_days=1)
    assert bearer(raw).get(URL).status_code == 200
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_refused(bearer(raw).get(URL), "expired")


def test_an_inactive_persons_token_is_refused(world):
    raw = token_of(world["alice"])
    world["alice"].is_active = False
    world["alice"].save(update_fields=["is_active"])
    assert_refused(bearer(raw).get(URL), "inactive")


def test_a_wrong_secret_with_a_real_prefix_is_refused_without_telling_the_tokens_state(world):
    token, raw = token_create(user=world["alice"], name="script")
    forged = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    assert_refused(bearer(forged).get(URL), "not valid: unknown or wrong secret")
    token_revoke(actor=world["alice"], token=token)
    # Only the secret's holder learns that a token was revoked.
    assert_refused(bearer(forged).get(URL), "not valid: unknown or wrong secret")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer  ",
        "Bearer clt_abc",
        "Bearer not-a-token",
        "Bearer clt_0123456789ab_tooshort",
        "Bearer clt_0123456789ab_" + "g" * 64,
        "Bearer two words",
        "Bearer clt_0123456789ab_" + "é" * 64,
    ],
)
def test_a_malformed_bearer_header_is_refused_never_anonymous(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(CODE)  # readable anonymously: a 401 shows the header was not ignored
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert (
        "personal access token" in response.json()["detail"]
        or "Malformed" in (response.json()["detail"])
    )


def test_an_anonymous_call_is_still_offered_basic(world):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


def test_the_secret_is_never_stored_in_clear(world):
    _, raw = token_create(user=world["alice"], name="script")
    secret = raw.split("_")[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_personalaccesstoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert secret not in stored and secret[:16] not in stored
    assert raw.split("_")[1] in stored  # the prefix is kept: it finds the row


def test_last_used_is_written_at_most_once_a_minute(world):
    token, raw = token_create(user=world["alice"], name="script")
    assert token.last_used_at is None
    client = bearer(raw)
    client.get(URL)
    first = PersonalAccessToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get(URL)
    client.get(URL)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at == first

    earlier = first - LAST_USED_EVERY
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get(URL)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at > first


def test_a_recent_use_writes_nothing(world, django_assert_num_queries):
    token, raw = token_create(user=world["alice"], name="script")
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    from accounts.tokens import token_authenticate

    with django_assert_num_queries(1):  # the row and its person, read in one query
        assert token_authenticate(raw).user == world["alice"]


def test_creation_and_revocation_are_logged_without_the_secret(world, caplog):
    caplog.set_level(logging.INFO, logger="accounts.tokens")
    token, raw = token_create(user=world["alice"], name="nightly export", expires_in_days=30)
    token_revoke(actor=world["root"], token=token)
    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.tokens"]
    assert len(lines) == 2
    assert "created: user=alice" in lines[0] and "'nightly export'" in lines[0]
    assert "revoked: user=alice" in lines[1] and "by=root" in lines[1]
    assert raw.split("_")[2] not in " ".join(lines)


def test_a_token_reads_fhir_as_its_person(world):
    anonymous = APIClient().get(LOOKUP)
    assert anonymous.status_code == 200
    assert "heart attack" not in anonymous.content.decode()  # lay terms are metered
    editor = bearer(token_of(world["alice"])).get(LOOKUP)
    assert editor.status_code == 200, editor.content
    assert "heart attack" in editor.content.decode()


def test_a_revoked_token_is_a_401_operation_outcome_on_fhir(world):
    token, raw = token_create(user=world["alice"], name="script")
    token_revoke(actor=world["alice"], token=token)
    response = bearer(raw).get(LOOKUP)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["issue"][0]["code"] == "login"


def test_with_a_session_cookie_too_the_token_decides_and_needs_no_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world["bob"])  # a real session cookie, not force_authenticate
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_of(world['alice'])}")
    created = propose(client)
    assert created.status_code == 201, created.content
    assert created.json()["proposer"] == "alice"


def test_the_openapi_schema_offers_the_bearer_token():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["personalAccessToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    proposing = schema["paths"]["/api/v1/change-requests"]["post"]["security"]
    assert {"personalAccessToken": []} in proposing
