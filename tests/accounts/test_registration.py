"""Accounts through django-allauth: registration with a verified email address, sign-in, the
same answers whether or not an address has an account, rate limits, where mail goes."""

import re
import statistics
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client

from codeledger.domain import actor_for
from tests.codeledger.test_settings import run_manage
from tests.conftest import make_user

PASSWORD = "quiet-Harbour-2026!"


def signup(client, email="reader@example.org", password=PASSWORD, **extra):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": password, "password2": password},
        **extra,
    )


def confirm_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


@pytest.fixture
def reader_address(db):
    """An account registered and verified, as a reader would have done."""
    client = Client()
    signup(client)
    client.post(confirm_link(mail.outbox[-1]))
    mail.outbox.clear()
    cache.clear()  # allauth's per-address mail cooldown: tests start as if time had passed
    return "reader@example.org"


def test_registration_sends_a_verification_link_and_signs_in_only_after_it(db):
    client = Client()
    response = signup(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="reader@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.org"]

    # Signing in before verifying sends the link again and does not sign in.
    other = Client()
    other.post("/accounts/login/", {"login": "reader@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in other.session

    response = client.post(confirm_link(mail.outbox[0]))
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_registration_comes_back_to_the_code(db):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "back@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "/codes/icd10cm/A00.1",
        },
    )
    response = client.post(confirm_link(mail.outbox[-1]))
    assert response["Location"] == "/codes/icd10cm/A00.1"


def test_a_registered_reader_has_no_editorial_rights(reader_address):
    user = User.objects.get(email=reader_address)
    assert actor_for(user).roles == frozenset()
    client = Client()
    client.force_login(user)
    assert client.get("/requests/").status_code == 403
    assert (
        client.post("/api/v1/change-requests", {}, content_type="application/json").status_code
        == 403
    )


def test_operator_made_accounts_sign_in_by_username_without_verification(db):
    make_user("bob", "reviewer")
    client = Client()
    response = client.post("/accounts/login/", {"login": "bob", "password": "pw-bob"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" in client.session


def test_invalid_registration_says_why_and_writes_nothing(db):
    response = signup(Client(), email="not-an-address", password="x")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert not User.objects.exists() and not mail.outbox


# --- no user enumeration ------------------------------------------------------------------


def _page(response) -> str:
    """The page without what differs per request anyway (CSRF tokens)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_registering_a_taken_address_answers_as_a_new_one(reader_address):
    taken = signup(Client(), email=reader_address)
    new = signup(Client(), email="someone.new@example.org")
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email=reader_address).count() == 1
    # The owner of the address is told by mail, not the person at the screen.
    assert {m.to[0] for m in mail.outbox} == {reader_address, "someone.new@example.org"}


def test_password_reset_answers_the_same_for_unknown_addresses(reader_address):
    known = Client().post("/accounts/password/reset/", {"email": reader_address})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([reader_address, "nobody@example.org"])


def test_a_wrong_password_and_an_unknown_login_get_the_same_message(reader_address):
    wrong = Client().post("/accounts/login/", {"login": reader_address, "password": "wrong-1"})
    unknown = Client().post(
        "/accounts/login/", {"login": "nobody@example.org", "password": "wrong-1"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert _page(wrong).replace(reader_address, "X") == _page(unknown).replace(
        "nobody@example.org", "X"
    )


@pytest.mark.slow  # times answers of 0.75 s each
def test_reset_and_registration_take_as_long_for_known_and_unknown_addresses(
    reader_address, settings
):
    """Creating an account takes longer than mailing the owner of a taken address; both answer
    after the same floor (ACCOUNT_UNIFORM_RESPONSE_SECONDS), so a timer cannot tell them apart."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.ACCOUNT_UNIFORM_RESPONSE_SECONDS = 0.3

    def timed(post):
        start = time.perf_counter()
        post()
        return time.perf_counter() - start

    for path, known, unknown in (
        ("reset", reader_address, "nobody@example.org"),
        ("signup", reader_address, "fresh@example.org"),
    ):
        known_times, unknown_times = [], []
        for round_ in range(7):
            for address, times in ((known, known_times), (unknown, unknown_times)):
                if path == "reset":
                    call = lambda a=address: Client().post(  # noqa: E731
                        "/accounts/password/reset/", {"email": a}
                    )
                else:
                    # A fresh unknown address each round: a signup of one makes it known.
                    a = address if address == known else f"fresh{round_}@example.org"
                    call = lambda a=a: signup(Client(), email=a)  # noqa: E731
                times.append(timed(call))
        k, u = statistics.median(known_times), statistics.median(unknown_times)
        assert abs(k - u) < 0.01, (path, k, u)


# --- rate limits --------------------------------------------------------------------------


def test_failed_sign_ins_for_one_account_are_limited_with_a_clear_message(reader_address):
    client = Client()
    statuses = [
        client.post("/accounts/login/", {"login": reader_address, "password": f"wrong-{i}"})
        for i in range(6)
    ]
    limited = "Too many failed login attempts. Try again later."
    assert [limited in r.content.decode() for r in statuses] == [False] * 5 + [True]
    # Even the right password waits now: the limit is per account, from any address.
    right = Client(REMOTE_ADDR="10.7.7.7")
    response = right.post("/accounts/login/", {"login": reader_address, "password": PASSWORD})
    assert limited in response.content.decode()
    assert "_auth_user_id" not in right.session


def test_sign_ins_from_one_address_are_limited_with_a_clear_page(db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    client = Client()
    statuses = [
        client.post("/accounts/login/", {"login": f"u{i}", "password": "x"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/accounts/login/", {}).content.decode()


def test_registrations_from_one_address_are_limited(db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    statuses = [signup(Client(), email=f"r{i}@example.org").status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert User.objects.count() == 2
    assert signup(Client(REMOTE_ADDR="10.8.8.8"), email="elsewhere@example.org").status_code == 302


def test_password_resets_for_one_address_are_limited(reader_address):
    statuses = [
        Client(REMOTE_ADDR=f"10.0.0.{i}")
        .post("/accounts/password/reset/", {"email": reader_address})
        .status_code
        for i in range(6)
    ]
    assert statuses == [302] * 5 + [429]


# --- mail ---------------------------------------------------------------------------------


def test_embedded_default_mail_goes_to_the_console_and_a_file(tmp_path, capsys, settings):
    from django.core.mail import get_connection, send_mail

    settings.EMAIL_FILE_PATH = str(tmp_path)
    connection = get_connection("accounts.mail.ConsoleAndFileBackend")
    send_mail(
        "Hello",
        "Confirm: http://x/accounts/confirm-email/k/",
        None,
        ["a@b.org"],
        connection=connection,
    )
    assert "confirm-email/k/" in capsys.readouterr().out
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and "confirm-email/k/" in files[0].read_text()


def test_mail_settings_follow_the_environment():
    show = (
        "from django.conf import settings; "
        "print('MAIL', settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_USE_TLS)"
    )

    def mail_settings(**env):
        result = run_manage("shell", "-c", show, **env)
        lines = [line for line in result.stdout.splitlines() if line.startswith("MAIL ")]
        assert lines, result.stderr
        return lines[-1].split()[1:]

    assert mail_settings()[0] == "accounts.mail.ConsoleAndFileBackend"
    assert mail_settings(EMAIL_URL="smtp+tls://user:secret@mail.example.org:587") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        "True",
    ]


@pytest.fixture
def counted(settings):
    """Password hashing counted: a hash is the slow part of every sign-in and registration."""
    from tests.accounts.hashers import CountingHasher

    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingHasher"]

    def hashes(action) -> int:
        before = CountingHasher.calls
        action()
        return CountingHasher.calls - before

    return hashes


def test_sign_in_hashes_as_much_for_known_and_unknown_logins(db, counted):
    reader = make_user("reader")
    reader.email = "reader@example.org"
    reader.save()
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)

    def sign_in(login):
        return lambda: Client().post("/accounts/login/", {"login": login, "password": "wrong"})

    known_email, unknown_email = counted(sign_in(reader.email)), counted(sign_in("no@example.org"))
    known_name, unknown_name = counted(sign_in("reader")), counted(sign_in("nobody-here"))
    assert known_email == unknown_email and known_name == unknown_name
    assert known_email >= 1


def test_registration_hashes_as_much_for_taken_and_free_addresses(reader_address, counted):
    taken = counted(lambda: signup(Client(), email=reader_address))
    cache.clear()
    free = counted(lambda: signup(Client(), email="someone.new@example.org"))
    assert taken == free >= 1
