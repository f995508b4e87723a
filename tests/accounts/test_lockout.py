"""One lockout policy for every way in (accounts/lockout.py): failures through HTTP Basic, the
sign-in form and the admin login count together, per account and per address; once locked,
every way in answers 429 with Retry-After, the right password included, without hashing it."""

import base64

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from rest_framework.test import APIClient

from accounts import lockout
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/change-requests"  # any endpoint that authenticates; alice is an editor


@pytest.fixture
def alice():
    return make_user("alice", "editor")  # password "pw-alice"


@pytest.fixture
def hashing(monkeypatch):
    """How many times a password check reached the backend that hashes."""
    calls = []
    real = ModelBackend.authenticate

    def counted(self, request, **credentials):
        calls.append(credentials.get("username"))
        return real(self, request, **credentials)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    return calls


def basic(user: str, password: str, address: str = "10.0.0.1"):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return APIClient(REMOTE_ADDR=address).get(API, HTTP_AUTHORIZATION=f"Basic {token}")


def test_basic_locks_the_account_after_five_failures_even_for_the_right_password(alice, hashing):
    statuses = [basic("alice", f"wrong-{n}", address=f"10.0.0.{n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    checked = len(hashing)
    locked = basic("alice", "pw-alice", address="10.9.9.9")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert 1 <= int(locked["Retry-After"]) <= 300
    assert "Too many failed login attempts" in locked.json()["detail"]
    assert len(hashing) == checked, "a locked sign-in must not hash the password"


def test_failures_through_basic_lock_the_sign_in_form_and_the_admin_login(alice):
    for n in range(5):
        basic("alice", f"wrong-{n}")
    form = Client(REMOTE_ADDR="10.2.2.2").post(
        "/accounts/login/", {"login": "alice", "password": "pw-alice"}
    )
    assert form.status_code == 429 and form["Retry-After"]
    assert "Too many failed login attempts" in form.content.decode()
    admin = Client(REMOTE_ADDR="10.3.3.3").post(
        "/admin/login/", {"username": "alice", "password": "pw-alice"}
    )
    assert admin.status_code == 429 and admin["Retry-After"]


def test_failures_at_the_admin_login_lock_basic(alice):
    for n in range(5):
        Client(REMOTE_ADDR="10.4.4.4").post(
            "/admin/login/", {"username": "alice", "password": f"wrong-{n}"}
        )
    assert basic("alice", "pw-alice", address="10.5.5.5").status_code == 429


def test_one_address_trying_many_accounts_is_locked_for_all_of_them(alice, settings):
    for n in range(settings.LOCKOUT_ADDRESS_FAILURES):
        basic(f"guess-{n}", "password", address="10.6.6.6")
    assert basic("alice", "pw-alice", address="10.6.6.6").status_code == 429
    assert basic("alice", "pw-alice", address="10.6.6.7").status_code == 200


def test_the_lock_ends_with_its_window(alice, monkeypatch, settings):
    for n in range(5):
        basic("alice", f"wrong-{n}")
    assert basic("alice", "pw-alice").status_code == 429
    later = lockout.time.time() + settings.LOCKOUT_SECONDS + 1
    monkeypatch.setattr(lockout.time, "time", lambda: later)
    assert basic("alice", "pw-alice").status_code == 200
