"""Template tags of the review screens and the site's navigation: the signed-in person's roles,
the queue count, request status labels."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.licensing import unlicensed_systems
from codeledger.screens import Roles
from codes.systems import SYSTEMS
from review import selectors

register = template.Library()

STATUS_LABELS = {
    "submitted": "Waiting for review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}


@register.simple_tag
def user_roles(user) -> Roles:
    return Roles(user)


def pending_count(username: str = "", hidden_systems=()) -> int:
    """Requests waiting for a decision that `username` may take: their own are left out, since
    the four-eyes rule says someone else decides them, and so are those of licensed systems
    they may not open (the queue leaves them out too)."""
    rows = selectors.change_requests(status="submitted").exclude(system__in=hidden_systems)
    if username:
        rows = rows.exclude(proposer=username)
    return rows.count()


@register.simple_tag(takes_context=True)
def queue_count_badge(context, oob: bool = False):
    """The number of requests waiting for the signed-in reviewer; `oob` marks it for an
    out-of-band swap."""
    request = context.get("request")
    user = getattr(request, "user", None)
    username = user.get_username() if user is not None and user.is_authenticated else ""
    hidden = (
        unlicensed_systems(request)
        if request is not None
        else [name for name, system in SYSTEMS.items() if system.licensed]
    )
    return format_html(
        '<span id="queue-count" class="badge"{}><span class="visually-hidden">: </span>{}'
        '<span class="visually-hidden"> waiting</span></span>',
        mark_safe(' hx-swap-oob="true"') if oob else "",
        pending_count(username, hidden),
    )


@register.filter
def queue_name(roles: Roles) -> str:
    """The queue's name as the menu (codeledger/base.html) gives it: reviewers work through a
    review queue; other staff read the change requests."""
    return "Review queue" if roles.decider else "Change requests"


CONFIRM_QUESTIONS = {
    "approve": "Approve this change to {code}? It is applied to the code at once and "
    "cannot be undone (only reverted by a new request).",
    "reject": "Reject this change to {code}? A rejected request cannot be reopened.",
    "withdraw": "Withdraw your proposal for {code}? A withdrawn request cannot be reopened.",
}


@register.simple_tag
def confirm_question(action: str, entry) -> str:
    """What a person is asked before a decision that cannot be undone (dialog or page)."""
    return CONFIRM_QUESTIONS[action].format(code=entry.code)


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
