"""The account page "Personal access tokens": who sees what, and bad input that writes nothing."""

import pytest
from django.test import Client

from accounts.models import PersonalAccessToken
from accounts.tokens import MAX_LIVE_TOKENS, token_create, token_revoke

pytestmark = pytest.mark.django_db

PAGE = "/accounts/tokens/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def revoke_url(token) -> str:
    return f"/accounts/tokens/{token.pk}/revoke"


def test_anonymous_is_sent_to_sign_in(people):
    token, _ = token_create(user=people["alice"], name="script")
    for response in (
        Client().get(PAGE),
        Client().post(PAGE, {"name": "x"}),
        Client().get(revoke_url(token)),
        Client().post(revoke_url(token)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert PersonalAccessToken.objects.count() == 1
    assert PersonalAccessToken.objects.get().revoked_at is None


@pytest.mark.parametrize("name", ["nobody", "alice", "bob", "audrey", "root"])
def test_every_signed_in_person_sees_only_their_own_tokens(people, name):
    token_create(user=people["eve"], name="eve's export")
    token_create(user=people[name], name=f"{name}'s script")
    response = signed_in(people[name]).get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{name}&#x27;s script" in page
    assert "eve&#x27;s export" not in page


def test_creating_a_token_shows_its_secret_once(people):
    client = signed_in(people["alice"])
    created = client.post(PAGE, {"name": "nightly export", "expires_in_days": "30"})
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    token = PersonalAccessToken.objects.get(user=people["alice"])
    assert (token.name, token.expires_at is not None) == ("nightly export", True)
    secret = created.context["created"]["secret"]
    assert secret.startswith(f"clt_{token.prefix}_")
    assert secret in created.content.decode()
    again = client.get(PAGE).content.decode()
    assert secret not in again and f"clt_{token.prefix}_…" in again


def test_with_htmx_creating_answers_the_token_area_only(people):
    client = signed_in(people["alice"])
    created = client.post(PAGE, {"name": "ci"}, HTTP_HX_REQUEST="true")
    assert created.status_code == 200  # htmx swaps 2xx answers only
    assert "HX-Request" in created["Vary"]
    fragment = created.content.decode()
    assert fragment.lstrip().startswith('<div id="tokens-area">')
    assert "<html" not in fragment
    assert created.context["created"]["secret"] in fragment
    refused = client.post(PAGE, {"name": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert "Give the token a name" in refused.content.decode()
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": ""}, "Give the token a name"),
        ({"name": "   "}, "Give the token a name"),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "ci", "expires_in_days": "0"}, "of 1 or more"),
        ({"name": "ci", "expires_in_days": "-5"}, "of 1 or more"),
        ({"name": "ci", "expires_in_days": "soon"}, "whole number of days"),
        ({"name": "ci", "expires_in_days": "2.5"}, "whole number of days"),
        ({"name": "ci", "expires_in_days": "99999"}, "less than or equal to 3650"),
    ],
)
def test_bad_input_gets_a_message_and_writes_nothing(people, data, message):
    response = signed_in(people["alice"]).post(PAGE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_a_token_past_the_cap_is_refused_with_a_message(people):
    alice = people["alice"]
    for n in range(MAX_LIVE_TOKENS):
        token_create(user=alice, name=f"t{n}")
    response = signed_in(alice).post(PAGE, {"name": "one more"})
    assert response.status_code == 400
    assert "revoke one you no longer use first" in response.content.decode()
    assert PersonalAccessToken.objects.filter(user=alice).count() == MAX_LIVE_TOKENS
    # A revoked token no longer counts.
    token_revoke(actor=alice, token=PersonalAccessToken.objects.filter(user=alice).first())
    assert signed_in(alice).post(PAGE, {"name": "one more"}).status_code == 201


def test_revoking_asks_first_then_revokes_on_post(people):
    token, _ = token_create(user=people["alice"], name="old laptop")
    client = signed_in(people["alice"])
    asked = client.get(revoke_url(token))
    assert asked.status_code == 200
    assert "Revoke “old laptop”?" in asked.content.decode()
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is None

    done = client.post(revoke_url(token), follow=True)
    assert done.redirect_chain == [(PAGE, 302)]
    assert "Revoked “old laptop”" in done.content.decode()
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.post(revoke_url(token)).status_code == 404  # already revoked


def test_revoking_another_persons_token_is_not_found(people):
    token, _ = token_create(user=people["eve"], name="eve's export")
    for name in ("alice", "root"):  # an admin too: other people's tokens are revoked in admin
        client = signed_in(people[name])
        assert client.get(revoke_url(token)).status_code == 404
        assert client.post(revoke_url(token)).status_code == 404
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is None


def test_revoking_needs_the_csrf_token(people):
    token, _ = token_create(user=people["alice"], name="script")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    assert client.post(revoke_url(token)).status_code == 403
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is None


def test_the_admin_lists_tokens_without_the_hash_and_revokes_selected(people):
    mine, _ = token_create(user=people["alice"], name="script")
    other, _ = token_create(user=people["eve"], name="export")
    admin = signed_in(people["root"])
    listing = admin.get("/admin/accounts/personalaccesstoken/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert mine.prefix in page and other.prefix in page
    assert mine.secret_hash not in page
    detail = admin.get(f"/admin/accounts/personalaccesstoken/{mine.pk}/change/").content.decode()
    assert mine.secret_hash not in detail
    assert admin.get("/admin/accounts/personalaccesstoken/add/").status_code == 403

    revoked = admin.post(
        "/admin/accounts/personalaccesstoken/",
        {"action": "revoke_selected", "_selected_action": [mine.pk]},
        follow=True,
    )
    assert "Revoked 1 token(s)." in revoked.content.decode()
    assert PersonalAccessToken.objects.get(pk=mine.pk).revoked_at is not None
    assert PersonalAccessToken.objects.get(pk=other.pk).revoked_at is None
