"""Review mails: who gets what, with a link to the request; people who turned them off get
nothing; nothing leaves when the transaction that wrote the event rolls back."""

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import Licence, Membership, Organisation
from codeledger.domain import actor_for
from review.actions import (
    change_request_approve,
    change_request_comment,
    change_request_reject,
    change_request_request_changes,
    change_request_revise,
    change_request_submit,
    change_request_withdraw,
)
from review.models import NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(people, settings):
    """Everyone with an address; links point at the configured site."""
    settings.SITE_URL = "https://codeledger.example.org"
    for user in people.values():
        user.email = f"{user.username}@example.org"
        user.save()
    return people


@pytest.fixture
def mails(django_capture_on_commit_callbacks, mailoutbox):
    """Run what waits for the commit (the test's transaction never commits), then the outbox."""

    class Sent:
        def during(self, write):
            with django_capture_on_commit_callbacks(execute=True):
                result = write()
            return result

        def to(self) -> list[str]:
            return sorted(address for mail in mailoutbox for address in mail.to)

    return Sent()


def submit(people, who="alice"):
    return change_request_submit(
        actor=actor_for(people[who]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter, as CMS writes it.",
    ).change_request


def test_a_new_request_is_mailed_to_every_reviewer_but_its_proposer(
    staff, nstemi, mails, mailoutbox
):
    request = mails.during(lambda: submit(staff, "bob"))
    # carol (reviewer) and root (admin) decide; bob proposed it; editors and auditors do not.
    assert mails.to() == ["carol@example.org", "root@example.org"]
    mail = mailoutbox[0]
    assert mail.subject == "[CodeLedger] For review: change to I21.4 (ICD-10-CM)"
    assert "bob proposed a change for review (change to I21.4 (ICD-10-CM))." in mail.body
    assert "Shorter, as CMS writes it." in mail.body
    assert f"https://codeledger.example.org/requests/{request.change_id}" in mail.body
    assert "https://codeledger.example.org/review/notifications" in mail.body


def test_a_revision_is_mailed_to_the_reviewers(staff, nstemi, mails, mailoutbox):
    request = submit(staff)
    change_request_request_changes(
        actor=actor_for(staff["bob"]), change_id=request.change_id, expected_version=1, message="?"
    )
    mails.during(
        lambda: change_request_revise(
            actor=actor_for(staff["alice"]),
            change_id=request.change_id,
            expected_version=2,
            base_version=1,
            changes={"short_descriptor": "NSTEMI"},
            rationale="CMS's short descriptor.",
        )
    )
    assert mails.to() == ["bob@example.org", "carol@example.org", "root@example.org"]
    assert mailoutbox[0].subject == "[CodeLedger] Revised: change to I21.4 (ICD-10-CM)"


@pytest.mark.parametrize(
    ("decide", "subject", "says"),
    [
        (
            lambda actor, cid: change_request_approve(
                actor=actor, change_id=cid, expected_version=1, note="Thanks."
            ),
            "[CodeLedger] Approved: your change to I21.4 (ICD-10-CM)",
            "bob approved your proposal",
        ),
        (
            lambda actor, cid: change_request_reject(
                actor=actor, change_id=cid, expected_version=1, reason="No source."
            ),
            "[CodeLedger] Rejected: your change to I21.4 (ICD-10-CM)",
            "Reason:\nNo source.",
        ),
        (
            lambda actor, cid: change_request_request_changes(
                actor=actor, change_id=cid, expected_version=1, message="Cite CMS."
            ),
            "[CodeLedger] Sent back: your change to I21.4 (ICD-10-CM)",
            "What should change:\nCite CMS.",
        ),
    ],
    ids=["approve", "reject", "request-changes"],
)
def test_a_decision_is_mailed_to_the_proposer_only(
    staff, nstemi, mails, mailoutbox, decide, subject, says
):
    request = submit(staff)
    mails.during(lambda: decide(actor_for(staff["bob"]), request.change_id))
    assert mails.to() == ["alice@example.org"]
    assert mailoutbox[0].subject == subject
    assert says in mailoutbox[0].body
    assert f"https://codeledger.example.org/requests/{request.change_id}" in mailoutbox[0].body


def test_comments_and_withdrawals_send_nothing(staff, nstemi, mails, mailoutbox):
    request = submit(staff)
    mails.during(
        lambda: change_request_comment(
            actor=actor_for(staff["bob"]), change_id=request.change_id, text="Looks right."
        )
    )
    mails.during(
        lambda: change_request_withdraw(
            actor=actor_for(staff["alice"]), change_id=request.change_id, expected_version=2
        )
    )
    assert mailoutbox == []


def test_people_who_turned_the_mails_off_get_none(staff, nstemi, mails, mailoutbox):
    NotificationPreference.objects.create(user=staff["carol"], requests_to_review=False)
    NotificationPreference.objects.create(user=staff["alice"], my_requests=False)
    request = mails.during(lambda: submit(staff))
    assert mails.to() == ["bob@example.org", "root@example.org"]
    mailoutbox.clear()
    mails.during(
        lambda: change_request_approve(
            actor=actor_for(staff["bob"]), change_id=request.change_id, expected_version=1
        )
    )
    assert mailoutbox == []


def test_nothing_is_sent_when_the_transaction_rolls_back(staff, nstemi, mails, mailoutbox):
    class Undo(Exception):
        pass

    def submit_then_fail():
        with transaction.atomic():
            submit(staff)
            raise Undo

    with pytest.raises(Undo):
        mails.during(submit_then_fail)
    assert mailoutbox == []


def test_a_licensed_systems_request_reaches_only_reviewers_holding_the_licence(
    staff, mails, mailoutbox
):
    from codesets.actions import code_register

    code_register(
        system="cpt", code="99213", content={"official_descriptor": "Office visit"}, source="t"
    )
    hospital = Organisation.objects.create(name="Hospital")
    Licence.objects.create(organisation=hospital, system="cpt")
    Membership.objects.create(user=staff["carol"], organisation=hospital)
    mails.during(
        lambda: change_request_submit(
            actor=actor_for(staff["alice"]),
            system="cpt",
            code="99213",
            base_version=1,
            changes={"official_descriptor": "Office visit, established patient"},
            rationale="AMA wording.",
        )
    )
    assert mails.to() == ["carol@example.org"]


def test_the_settings_screen_turns_a_kind_of_mail_off(staff):
    client = Client()
    client.force_login(staff["bob"])
    page = client.get("/review/notifications").content.decode()
    assert "Mails go to bob@example.org." in page
    assert "Mail me when a request arrives for review or is revised" in page
    answer = client.post("/review/notifications", {"my_requests": "on"})
    assert answer.status_code == 302
    preference = NotificationPreference.objects.get(user=staff["bob"])
    assert (preference.my_requests, preference.requests_to_review) == (True, False)


def test_an_editor_is_offered_only_the_mails_about_their_own_requests(staff):
    client = Client()
    client.force_login(staff["alice"])
    page = client.get("/review/notifications").content.decode()
    assert "Mail me when a reviewer decides on my requests" in page
    assert "arrives for review" not in page


def test_people_without_a_staff_role_have_no_review_mails_to_set(staff):
    client = Client()
    client.force_login(staff["nobody"])
    assert client.get("/review/notifications").status_code == 403


def test_requests_a_command_proposes_and_decides_mail_nobody(staff, nstemi, mails, mailoutbox):
    from codeledger.domain import EDITOR, REVIEWER, Actor

    curator = Actor("lay-terms-curator", frozenset({EDITOR}))  # as lay_terms_import acts
    request = mails.during(
        lambda: change_request_submit(
            actor=curator,
            system="icd10cm",
            code="I21.4",
            base_version=1,
            changes={"lay_terms": ["heart attack", "NSTEMI"]},
            rationale="Curated lay terms.",
        )
    ).change_request
    mails.during(
        lambda: change_request_approve(
            actor=Actor("lay-terms-reviewer", frozenset({REVIEWER})),
            change_id=request.change_id,
            expected_version=1,
        )
    )
    assert mailoutbox == []
