"""Template helpers for the screens: the signed-in person's roles, the queue count, labels."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from editorial import domain, selectors
from editorial.content import FIELDS
from editorial.forms import NOTE_LABELS
from editorial.services import actor_for

register = template.Library()

STATUS_LABELS = {
    "submitted": "Waiting for review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}


class Roles:
    """What the navigation and pages need to know about a person's roles."""

    def __init__(self, user):
        names = actor_for(user).roles if user.is_authenticated else frozenset()
        self.names = sorted(names)
        self.proposer = bool(names & domain.PROPOSERS)
        self.decider = bool(names & domain.DECIDERS)
        self.staff = bool(names & {domain.EDITOR, domain.REVIEWER, domain.AUDITOR, domain.ADMIN})
        self.admin = domain.ADMIN in names


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
def note_label(kind: str) -> str:
    return NOTE_LABELS.get(kind, kind.replace("_", " ").capitalize())


@register.filter
def field_label(name: str) -> str:
    return FIELDS[name].label if name in FIELDS else name.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


@register.filter
def shown(value) -> str:
    """A field value as a person reads it: lists one per line, booleans as yes/no."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "\n".join(shown(v) for v in value)
    if isinstance(value, dict) and {"code", "relation"} <= set(value):  # one related code
        return f"{value['code']} ({note_label(value['relation'])})"
    if isinstance(value, dict):
        return "\n".join(
            f"{note_label(kind)}: {item}" for kind, items in value.items() for item in items
        )
    return str(value)


@register.filter
def iso_time(value: str) -> str:
    """ "2026-11-30T21:56:13.1+00:00" -> "2026-11-30 21:56" (times are stored in UTC)."""
    text = str(value or "")
    return f"{text[:10]} {text[11:16]}".strip()


@register.filter
def make_list_of_words(text: str) -> list[str]:
    return text.split()
