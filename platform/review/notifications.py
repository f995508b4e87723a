"""Mails about change requests: to reviewers when a request arrives or is revised, to the
proposer when a reviewer approves, rejects or sends it back. Each links to the request.

They leave after the transaction that wrote the event commits (review.tasks.mail_after_commit,
called by review.actions; a rollback sends nothing) through the product's mail backend
(settings.EMAIL_BACKEND). The task carries the change request's id and the event's version,
never the text, so a worker reads what was written. A person turns them off at
/review/notifications (NotificationPreference; no row means every mail).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse

from accounts.licensing import current_systems
from accounts.models import Licence
from codeledger.domain import DECIDERS
from codes.streams import change_stream
from codes.systems import SYSTEMS
from events.decider import fold
from events.store import read_stream
from review.domain import ChangeRequestState, evolve_change
from review.events import (
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
)
from review.models import NotificationPreference

# Where the links in mails point when settings.SITE_URL is not set: `make run`'s address.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

TO_REVIEWERS = (ChangeRequestSubmitted, ChangeRequestRevised)
TO_PROPOSER = (ChangeRequestApproved, ChangeRequestRejected, ChangeRequestChangesRequested)
NOTIFIED = frozenset(cls.event_type for cls in (*TO_REVIEWERS, *TO_PROPOSER))
"""The event types that send mail; comments and withdrawals send none."""


@dataclass(frozen=True)
class Mail:
    to: str  # one person per mail: reviewers do not see each other's addresses
    subject: str
    body: str


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def site_name() -> str:
    return getattr(settings, "SITE_NAME", "") or "CodeLedger"


def mails_for(change_id: str, version: int) -> list[Mail]:
    """The mails the event at `version` of the change request's stream sends (pure reading:
    sending is `send_mails`)."""
    recorded = read_stream(change_stream(change_id), to_version=version)
    if len(recorded) < version:
        return []
    request = fold(evolve_change, ChangeRequestState(), [r.event for r in recorded[:-1]])
    event = recorded[-1].event
    request = evolve_change(request, event)
    link = site_url() + reverse("review:request", args=[change_id])
    what = _what(request)
    if isinstance(event, TO_REVIEWERS):
        revised = isinstance(event, ChangeRequestRevised)
        subject = f"{'Revised' if revised else 'For review'}: {what}"
        lead = (
            f"{request.proposer} revised their proposal ({what})."
            if revised
            else f"{request.proposer} proposed a change for review ({what})."
        )
        text = f"Rationale:\n{request.rationale}"
        people = _reviewers(request)
        reason = "you review change requests"
    else:
        verb = {
            ChangeRequestApproved: "approved",
            ChangeRequestRejected: "rejected",
            ChangeRequestChangesRequested: "sent back",
        }[type(event)]
        subject = f"{verb.capitalize()}: your {what}"
        lead = f"{request.reviewer} {verb} your proposal ({what})."
        text = {
            ChangeRequestApproved: f"Note:\n{request.decision}" if request.decision else "",
            ChangeRequestRejected: f"Reason:\n{request.decision}",
            ChangeRequestChangesRequested: f"What should change:\n{request.decision}",
        }[type(event)]
        people = _proposer(request)
        reason = "you proposed this change"
    settings_link = site_url() + reverse("review:notifications")
    return [
        Mail(
            to=address,
            subject=f"[{site_name()}] {subject}",
            body="\n\n".join(
                part
                for part in (
                    f"Hello {name},",
                    lead,
                    text,
                    f"The request: {link}",
                    f"-- \nYou get this mail because {reason} on {site_name()}. "
                    f"To stop these mails: {settings_link}",
                )
                if part
            )
            + "\n",
        )
        for name, address in people
    ]


def send_mails(mails: list[Mail]) -> int:
    """Send through the configured backend over one connection; the number sent."""
    if not mails:
        return 0
    messages = [
        EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to])
        for mail in mails
    ]
    return get_connection().send_messages(messages) or 0


def _what(request: ChangeRequestState) -> str:
    label = SYSTEMS[request.system].label if request.system in SYSTEMS else request.system
    if request.is_new:
        return f"new code {request.code} ({label})"
    if request.kind == "revert":
        return f"revert of version {request.reverts_version} of {request.code} ({label})"
    return f"change to {request.code} ({label})"


def _people():
    """Active people with an address, and whether they turned a kind of mail off."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .select_related("review_notifications")
    )


def _wants(user, kind: str) -> bool:
    try:
        return getattr(user.review_notifications, kind)
    except NotificationPreference.DoesNotExist:
        return True


def _reviewers(request: ChangeRequestState) -> list[tuple[str, str]]:
    """Everyone who may decide on it: deciders other than the proposer (four-eyes), holding
    the licence when the system is licensed, who did not turn these mails off. None for a
    request a command proposed (lay_terms_import's curator is an actor, not an account): the
    command decides it at once, and 200 mails per reviewer would tell them nothing."""
    if not get_user_model().objects.filter(username=request.proposer).exists():
        return []
    users = (
        _people()
        .filter(Q(groups__name__in=DECIDERS) | Q(is_superuser=True))
        .exclude(username=request.proposer)
        .distinct()
        .order_by("username")
    )
    system = SYSTEMS.get(request.system)
    if system is not None and system.licensed:
        users = [user for user in users if request.system in _held(user)]
    return [
        (user.get_username(), user.email) for user in users if _wants(user, "requests_to_review")
    ]


def _held(user) -> frozenset[str]:
    licences = Licence.objects.filter(organisation__members__user=user)
    return current_systems(licences.values_list("system", "valid_until"))


def _proposer(request: ChangeRequestState) -> list[tuple[str, str]]:
    user = _people().filter(username=request.proposer).first()
    if user is None or not _wants(user, "my_requests"):
        return []
    return [(user.get_username(), user.email)]
