"""What people who register by email are called, what the mails say, and one-click confirmation."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import Client

from accounts.names import user_display
from tests.accounts.test_registration import PASSWORD, confirm_link, signup
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def header(client) -> str:
    html = client.get("/").content.decode()
    return re.search(r'<div class="account">(.*?)</div>', html, re.S).group(1)


def registered(client, email="reader@example.org") -> User:
    signup(client, email=email)
    response = client.get(confirm_link(mail.outbox[-1]))
    assert response.status_code == 302
    return User.objects.get(email=email)


def test_opening_the_mailed_link_confirms_and_signs_in_at_once(db):
    client = Client()
    client.post(
        "/accounts/signup/",
        {
            "email": "reader@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "/codes/icd10cm/A00.1",
        },
    )
    response = client.get(confirm_link(mail.outbox[-1]))
    assert (response.status_code, response["Location"]) == (302, "/codes/icd10cm/A00.1")
    user = User.objects.get(email="reader@example.org")
    assert user.emailaddress_set.get().verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_link_opened_elsewhere_confirms_but_signs_nobody_in(db):
    """A mail scanner or another device opening the link: the address is confirmed, and only
    the browser that registered is signed in (allauth keeps that login in its session)."""
    signup(Client())
    elsewhere = Client()
    elsewhere.get(confirm_link(mail.outbox[-1]))
    assert User.objects.get(email="reader@example.org").emailaddress_set.get().verified
    assert "_auth_user_id" not in elsewhere.session


def test_mails_say_the_sites_name_not_its_host(db):
    signup(Client())
    message = mail.outbox[-1]
    assert message.subject.startswith("[CodeLedger] ")
    assert message.body.startswith("Hello from CodeLedger!")
    assert "Thank you for using CodeLedger!" in message.body
    assert "Hello from testserver" not in message.body


def test_the_sites_name_is_a_setting(db, settings):
    settings.SITE_NAME = "Coding Desk"
    signup(Client())
    assert mail.outbox[-1].body.startswith("Hello from Coding Desk!")


def test_the_confirmation_mail_names_the_person_by_their_address(db):
    signup(Client())
    body = mail.outbox[-1].body
    assert "user reader@example.org has given your email address" in body
    generated = User.objects.get(email="reader@example.org").username
    assert generated not in body.replace("reader@example.org", "")


def test_a_reader_who_registered_by_email_is_shown_by_it(db):
    client = Client()
    registered(client)
    assert ">reader@example.org</a>" in header(client)
    response = client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/", {"login": "reader@example.org", "password": PASSWORD}, follow=True
    )
    assert "Successfully signed in as reader@example.org." in response.content.decode()


def test_a_chosen_name_is_shown_instead(db):
    client = Client()
    user = registered(client)
    response = client.post("/accounts/name/", {"name": "  Dana Reyes  "}, follow=True)
    assert "You are now shown as Dana Reyes." in response.content.decode()
    assert ">Dana Reyes</a>" in header(client)
    user.refresh_from_db()
    assert user.first_name == "Dana Reyes"
    # Emptying it goes back to the address.
    client.post("/accounts/name/", {"name": ""})
    assert ">reader@example.org</a>" in header(client)


def test_a_name_too_long_says_why_and_changes_nothing(db):
    client = Client()
    user = registered(client)
    response = client.post("/accounts/name/", {"name": "x" * 151})
    assert response.status_code == 400
    assert "Ensure this value has at most 150 characters (it has 151)." in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == ""


def test_the_name_page_asks_a_guest_to_sign_in(db):
    response = Client().get("/accounts/name/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/accounts/name/",
    )


def test_operator_made_logins_keep_their_username(db):
    client = Client()
    client.force_login(make_user("bob", "reviewer"))
    assert ">bob</a>" in header(client)
    assert user_display(User(username="ops", email="ops@example.org")) == "ops@example.org"


def test_the_reset_mail_does_not_hand_out_the_made_up_username(db):
    client = Client()
    user = registered(client)
    client.post("/accounts/logout/")
    mail.outbox.clear()
    Client().post("/accounts/password/reset/", {"email": "reader@example.org"})
    body = mail.outbox[-1].body
    assert body.startswith("Hello from CodeLedger!")
    assert "You sign in with this email address, reader@example.org." in body
    assert user.username not in body.replace("reader@example.org", "")


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/password/reset/"])
def test_email_fields_are_email_inputs_the_stylesheet_styles(client, path):
    html = client.get(path).content.decode()
    assert re.search(r'<input type="email" name="email"', html)
    text = Path(finders.find("codeledger/site.css")).read_text()
    rule = re.search(r"([^{}]*input\[type=password\][^{}]*)\{", text).group(1)
    assert "input[type=email]" in rule  # the same rule as the password fields
