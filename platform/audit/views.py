"""Screens for auditors: the change log, a code's timeline and blame, and the log's integrity.

Read-only for everyone with an editorial role; only auditors and admins start a verification.
Filters are plain GET forms (shareable URLs); the integrity page polls a running verification
with htmx and works without it (reload).
"""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from audit import integrity, selectors
from audit.api import REQUEST_STATES, LogFilterSerializer
from audit.models import VerificationRun
from codeledger.api import MAX_POSITION, is_position
from codeledger.domain import ADMIN, AUDITOR, STAFF, NotFound
from codeledger.screens import not_found, require_roles, screen
from codes import selectors as code_selectors
from codes.diff import content_diff
from codes.events import CODE_EVENT_TYPES
from codes.systems import SYSTEMS
from codesets.events import RELEASE_EVENT_TYPES
from events.integrity import Digest
from review.events import CHANGE_EVENT_TYPES

PAGE_SIZE = 50
VERIFIERS = frozenset({AUDITOR, ADMIN})


def _errors(error: ApiValidationError) -> dict:
    detail = error.detail if isinstance(error.detail, dict) else {"filters": error.detail}
    return {key: [str(m) for m in value] for key, value in detail.items()}


@screen
@require_GET
def change_log(request):
    """The global change log, newest first, filtered; "older" pages by position."""
    require_roles(request, STAFF, "The change log")
    query = request.GET.copy()
    before = query.pop("before", [None])[0]
    errors, rows, older = {}, [], None
    try:
        filters = LogFilterSerializer.parse(query, request=request)
        if before and not is_position(before):
            raise ApiValidationError(
                {"before": [f"must be a position (a whole number from 0 to {MAX_POSITION})"]}
            )
    except ApiValidationError as error:
        errors = _errors(error)
    else:
        entries = selectors.change_log(filters)
        if before:
            entries = entries.filter(pk__lt=int(before))
        rows = list(entries[: PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            older = query.copy()
            older["before"] = rows[-1].pk
            older = older.urlencode()
    return render(
        request,
        "audit/log.html",
        {
            "rows": rows,
            "errors": errors,
            "values": request.GET,
            "types": request.GET.getlist("type"),
            "older": older,
            "filtered_query": query.urlencode(),
            "systems": sorted(SYSTEMS.items()),
            "role_choices": selectors.ROLES,
            "request_states": REQUEST_STATES,
            "event_types": sorted(CODE_EVENT_TYPES | CHANGE_EVENT_TYPES | RELEASE_EVENT_TYPES),
        },
        status=400 if errors else 200,
    )


def _date(value: str, errors: dict, name: str):
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None


def _moment(value: str, errors: dict, name: str):
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        errors[name] = "Give a date and time, e.g. 2026-11-30T14:00."
        return None
    moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is a moment before the calendar starts
        errors[name] = "Give a date and time between 0001-01-01 and 9999-12-31 in UTC."
        return None


@screen
@require_GET
def code_audit(request, system, code):
    """One code for auditors: timeline, blame, a diff of any two versions, content as of."""
    require_roles(request, STAFF, "A code's audit trail")
    try:
        story = selectors.timeline(system=system, code=code)
        errors = {}
        blame_day = _date(request.GET.get("blame_as_of", ""), errors, "blame_as_of")
        blame = selectors.blame(system=system, code=code, as_of=blame_day)
    except NotFound as error:
        return not_found(request, f"No such code: {error}.")
    versions = [v["version"] for v in story["versions"]]
    compare = None
    old, new = request.GET.get("from"), request.GET.get("to")
    if old or new:
        if old in map(str, versions) and new in map(str, versions):
            a = code_selectors.code_at_version(system=system, code=code, version=int(old))
            b = code_selectors.code_at_version(system=system, code=code, version=int(new))
            compare = {
                "from": int(old),
                "to": int(new),
                "fields": content_diff(a.content, b.content),
            }
        else:
            errors["compare"] = f"Choose two versions between 1 and {versions[-1]}."
    as_of_view = None
    as_of = _date(request.GET.get("as_of", ""), errors, "as_of")
    known_at = _moment(request.GET.get("known_at", ""), errors, "known_at")
    if (as_of or known_at) and not errors.keys() & {"as_of", "known_at"}:
        try:
            as_of_view = code_selectors.code_as_of(
                system=system, code=code, as_of=as_of, known_at=known_at
            )
        except NotFound as error:
            errors["as_of"] = f"{error}."
    return render(
        request,
        "audit/code.html",
        {
            "story": story,
            "blame": blame,
            "system_label": SYSTEMS[system].label,
            "versions": versions,
            "compare": compare,
            "as_of_view": as_of_view,
            "errors": errors,
            "values": request.GET,
        },
        status=400 if errors else 200,
    )


def _last_ok() -> VerificationRun | None:
    return VerificationRun.objects.filter(status=VerificationRun.OK).first()


def _integrity(request, actor, *, digest_error: str = "", status: int = 200):
    context = {
        "head": integrity.head(),
        "run": integrity.last_run(),
        "last_ok": _last_ok(),
        "can_verify": bool(actor.roles & VERIFIERS),
        "digest_error": digest_error,
        "digest_text": request.POST.get("digest", ""),
    }
    return render(request, "audit/integrity.html", context, status=status)


@screen
@require_GET
def integrity_page(request):
    """Head of the log, the latest verification (live progress), digest download."""
    actor = require_roles(request, STAFF, "The integrity page")
    if request.htmx and request.GET.get("part") == "run":
        # The run's progress; once it has finished, the digest section too (out of band),
        # since a successful run gives a new digest to download.
        context = {"run": integrity.last_run(), "last_ok": _last_ok(), "oob": True}
        return render(request, "audit/integrity.html#poll", context)
    return _integrity(request, actor)


@screen
@require_POST
def verify(request):
    """Start a verification (optionally against a pasted or uploaded digest)."""
    actor = require_roles(request, VERIFIERS, "Running a verification")
    text = request.POST.get("digest", "").strip()
    if upload := request.FILES.get("digest_file"):
        text = upload.read(10_000).decode("utf-8", errors="replace").strip()
    digest = None
    if text:
        try:
            digest = Digest.parse(text)
        except ValueError as error:
            message = f"That digest cannot be read: {error}. Nothing was started."
            return _integrity(request, actor, digest_error=message, status=400)
        if digest.authentic() is False:
            message = (
                "That digest's MAC does not match: this CodeLedger did not issue it (or its "
                "seal key is no longer listed). Nothing was started."
            )
            return _integrity(request, actor, digest_error=message, status=400)
    _, created = integrity.start(requested_by=request.user.get_username(), digest=digest)
    if not created:
        messages.info(request, "A verification is already running; its progress is below.")
    return redirect(reverse("audit:integrity"))
