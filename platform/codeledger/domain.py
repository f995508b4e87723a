"""What every feature's domain shares: the roles, the acting person, and how a rule refuses.

Pure: no models, no requests. Feature apps (codes, review, codesets) decide with these; the web
layer (codeledger.api, codeledger.screens, codeledger.problems) turns refusals into answers.
"""

from dataclasses import dataclass

EDITOR, REVIEWER, AUDITOR, ADMIN = "editor", "reviewer", "auditor", "admin"
ROLES = (EDITOR, REVIEWER, AUDITOR, ADMIN)  # also the names of the Django groups
STAFF = frozenset(ROLES)
PROPOSERS = frozenset({EDITOR, REVIEWER, ADMIN})  # may propose, comment, revise their own
DECIDERS = frozenset({REVIEWER, ADMIN})  # may decide on other people's proposals
MAX_MESSAGE = 5000


@dataclass(frozen=True)
class Actor:
    username: str
    roles: frozenset


SYSTEM_ACTOR = Actor("system", frozenset({ADMIN}))


def actor_for(user) -> Actor:
    """The domain actor for a Django user: its username and role groups (superuser: admin)."""
    if not user or not user.is_authenticated:
        return Actor("", frozenset())
    roles = set(user.groups.values_list("name", flat=True)) & STAFF
    if user.is_superuser:
        roles.add(ADMIN)
    return Actor(user.get_username(), frozenset(roles))


class DomainError(Exception):
    """A command the rules refuse; `kind` says how the API answers it."""

    kind = "invalid"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message, self.details = message, details


class Forbidden(DomainError):
    kind = "forbidden"


class InvalidState(DomainError):
    kind = "state"


class StaleBase(DomainError):
    """The code moved past the version the request was written against."""

    kind = "conflict"


class Invalid(DomainError):
    kind = "invalid"


class NotFound(LookupError):
    """No such code, change request or release (404)."""


def require_role(actor: Actor, allowed: frozenset, action: str) -> None:
    if not actor.roles & allowed:
        raise Forbidden(f"{action} needs one of the roles {', '.join(sorted(allowed))}")
