"""Template tags of the review screens and the site's navigation: the signed-in person's roles,
the queue count, request status labels."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from codeledger.screens import Roles
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


def pending_count() -> int:
    return selectors.change_requests(status="submitted").count()


@register.simple_tag
def queue_count_badge(oob: bool = False):
    """The number of requests waiting for review; `oob` marks it for an out-of-band swap."""
    return format_html(
        '<span id="queue-count" class="badge"{}><span class="visually-hidden">: </span>{}'
        '<span class="visually-hidden"> waiting</span></span>',
        mark_safe(' hx-swap-oob="true"') if oob else "",
        pending_count(),
    )


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
