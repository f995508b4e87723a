"""Editorial reads: from the read models, or from one stream for as-of and diff views."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from editorial.domain import PROPOSERS, CodeState, evolve_code, fold
from editorial.models import (
    ChangeRequestEntry,
    CodeEntry,
    CodeVersion,
    ReleaseEntry,
    ReleaseItem,
)
from editorial.read_models import refresh_code_entry
from editorial.services import NotFound
from editorial.systems import code_stream, get_system
from editorial.timeline import CodeView, code_view
from events.store import read_stream


def code_current(*, system: str, code: str) -> CodeEntry:
    """The code as in force today. A scheduled change whose day has come is applied on read."""
    display = get_system(system).display(code)
    entry = CodeEntry.objects.filter(system=system, code=display).first()
    if entry and entry.next_change_on and entry.next_change_on <= timezone.localdate():
        with transaction.atomic():
            refresh_code_entry(code_stream(system, display))
        entry = CodeEntry.objects.get(system=system, code=display)
    if entry is None:
        raise NotFound(f"no code {display} in {get_system(system).label}")
    if not entry.in_force:
        raise NotFound(f"{display} comes into force on {entry.next_change_on.isoformat()}")
    return entry


def code_as_of(
    *, system: str, code: str, as_of: date | None = None, known_at: datetime | None = None
) -> CodeView:
    """The content in force on `as_of`, as the platform knew it at `known_at` (one stream)."""
    display = get_system(system).display(code)
    if as_of is None:
        as_of = (known_at or timezone.now()).astimezone(timezone.get_current_timezone()).date()
    view = code_view(read_stream(code_stream(system, display)), as_of=as_of, known_at=known_at)
    if view is None:
        when = f"on {as_of.isoformat()}" + (
            f" as known at {known_at.isoformat()}" if known_at else ""
        )
        raise NotFound(f"{display} was not in force {when}")
    return view


def code_history(*, system: str, code: str) -> list[dict]:
    """Every version with what changed, who proposed and approved it, and why."""
    display = get_system(system).display(code)
    versions = list(CodeVersion.objects.filter(system=system, code=display).order_by("version"))
    if not versions:
        raise NotFound(f"no code {display} in {get_system(system).label}")
    requests = ChangeRequestEntry.objects.in_bulk(
        [v.change_request for v in versions if v.change_request]
    )
    rows = []
    for version in versions:
        request = requests.get(version.change_request)
        rows.append(
            {
                "version": version.version,
                "type": version.type,
                "changes": version.changes,
                "fields": sorted(version.changes),
                "change_request": version.change_request,
                "proposer": version.proposer,
                "reviewer": version.reviewer,
                "rationale": request.rationale if request else "",
                "effective_from": version.effective_from,
                "recorded_at": version.recorded_at,
                "position": version.position,
                "source": version.source,
                "release": version.release,
            }
        )
    return rows


def code_at_version(*, system: str, code: str, version: int) -> CodeState:
    display = get_system(system).display(code)
    events = read_stream(code_stream(system, display), to_version=version)
    if len(events) < version or version < 1:
        raise NotFound(f"{display} has no version {version}")
    return fold(evolve_code, CodeState(), [e.event for e in events])


def change_requests(
    *,
    status: str | None = None,
    system: str | None = None,
    code: str | None = None,
    proposer: str | None = None,
    reviewer: str | None = None,
):
    """The queue, oldest first, with `conflicted` when the code moved past the base version."""
    current_version = CodeEntry.objects.filter(
        system=OuterRef("system"), code=OuterRef("code")
    ).values("version")[:1]
    rows = ChangeRequestEntry.objects.annotate(code_current_version=Subquery(current_version))
    rows = rows.annotate(
        conflicted=Case(
            When(
                Q(status__in=["submitted", "changes_requested"], is_new=False)
                & ~Q(code_current_version=F("base_version")),
                then=Value(True),
            ),
            When(
                Q(status__in=["submitted", "changes_requested"], is_new=True)
                & Q(code_current_version__isnull=False),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if status == "conflicted":
        rows = rows.filter(conflicted=True)
    elif status:
        rows = rows.filter(status=status)
    if system:
        rows = rows.filter(system=system)
    if code:
        rows = rows.filter(code=get_system(system).display(code) if system else code)
    if proposer:
        rows = rows.filter(proposer=proposer)
    if reviewer:
        rows = rows.filter(reviewer=reviewer)
    return rows.order_by("submitted_position")


def proposers() -> list[str]:
    """Everyone who has proposed a change or may propose one, by name (the queue's filter)."""
    proposed = ChangeRequestEntry.objects.values_list("proposer", flat=True).distinct()
    people = (
        get_user_model()
        .objects.filter(Q(groups__name__in=PROPOSERS) | Q(is_superuser=True))
        .values_list("username", flat=True)
    )
    return sorted(set(proposed) | set(people))


def change_request_detail(*, change_id) -> ChangeRequestEntry:
    entry = change_requests().filter(change_id=change_id).first()
    if entry is None:
        raise NotFound(f"no change request {change_id}")
    return entry


def releases(*, system: str | None = None):
    """Release change sets, newest first."""
    rows = ReleaseEntry.objects.order_by("-proposed_position")
    return rows.filter(system=system) if system else rows


def release_detail(*, release_id) -> ReleaseEntry:
    entry = ReleaseEntry.objects.filter(release_id=release_id).first()
    if entry is None:
        raise NotFound(f"no release {release_id}")
    return entry


def release_items(
    *,
    release_id,
    kind: str | None = None,
    status: str | None = None,
    field: str | None = None,
    code: str | None = None,
    conflicted: bool | None = None,
):
    """A release's items in code order, filtered (a field: items that change it; a code: a
    prefix, e.g. "E11")."""
    release_detail(release_id=release_id)
    rows = ReleaseItem.objects.filter(release_id=release_id)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if field:
        rows = rows.filter(fields__contains=f",{field},")
    if code:
        rows = rows.filter(code__startswith=code.strip().upper())
    if conflicted is not None:
        rows = rows.exclude(conflicts={}) if conflicted else rows.filter(conflicts={})
    return rows.order_by("code")
