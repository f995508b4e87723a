"""What every screen shares: who is asking, htmx fragments, refusals as pages, form errors.

Views stay thin: they check who is asking (`require_roles`), shape input with a form, call one
action or selector, and render. Every action is a plain form post that redirects (no JavaScript
needed); an htmx request gets the fragment it swaps in place instead.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.licensing import require_licence
from codeledger.domain import (
    ADMIN,
    DECIDERS,
    PROPOSERS,
    STAFF,
    Actor,
    DomainError,
    Forbidden,
    actor_for,
)


class Roles:
    """What the navigation and pages need to know about a person's roles."""

    def __init__(self, user):
        self.actor: Actor = actor_for(user)
        names = self.actor.roles
        self.names = sorted(names)
        self.proposer = bool(names & PROPOSERS)
        self.decider = bool(names & DECIDERS)
        self.staff = bool(names & STAFF)
        self.admin = ADMIN in names


def fragment(request) -> bool:
    """htmx asked for a piece of the page (boosted requests and history restores get whole
    pages)."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def require_roles(request, roles: frozenset, what: str):
    """The person's domain actor if they hold one of `roles`; login or 403 otherwise."""
    if not request.user.is_authenticated:
        raise LoginFirst
    actor = actor_for(request.user)
    if not actor.roles & roles:
        raise PermissionDenied(f"{what} needs one of the roles {', '.join(sorted(roles))}.")
    return actor


class LoginFirst(Exception):
    pass


def screen(view):
    """Anonymous people are sent to sign in; a refused domain action is a 403 page."""

    def wrapped(request, *args, **kwargs):
        try:
            if request.user.is_authenticated:
                require_licence(request, kwargs)  # a licensed system's work needs the licence
            return view(request, *args, **kwargs)
        except LoginFirst:
            return redirect_to_login(request.get_full_path())
        except Forbidden as error:
            raise PermissionDenied(error.message) from None

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def not_found(request, message: str):
    return render(request, "404.html", {"message": message}, status=404)


def domain_errors(form, error: DomainError) -> None:
    """Attach a domain refusal to the fields it names, or to the form as a whole."""
    errors = error.details.get("errors") or {}
    field = error.details.get("field")
    if field and not errors:
        errors = {field: [error.message]}
    if not errors:
        form.add_error(None, error.message)
        return
    for name, messages_ in errors.items():
        target = name if name in form.fields else None
        for message in messages_:
            form.add_error(target, message if target else f"{name}: {message}")
