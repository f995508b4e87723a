"""What auditors read: the filtered change log, a code's timeline, and field-level blame."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import LogEntry
from codeledger.domain import ADMIN, NotFound
from codes.content import FIELDS
from codes.diff import field_diff
from codes.models import CodeVersion
from codes.systems import get_system
from review import selectors as review
from review.models import ChangeRequestEntry

ROLES = ("editor", "reviewer", "auditor", "admin", "system")
ROLE_HELP = (
    "people who hold the role now (admin includes superusers); `system`: automated actors "
    "such as imports, which have no account"
)


@dataclass(frozen=True)
class LogFilters:
    actor: str = ""
    role: str = ""
    system: str = ""
    code: str = ""
    types: tuple[str, ...] = ()
    request_state: str = ""
    change_request: str = ""
    since: date | None = None
    until: date | None = None
    # Licensed systems the reader holds no licence for: their events are left out.
    hidden_systems: tuple[str, ...] = ()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _people_in(role: str):
    users = get_user_model().objects.all()
    if role == "system":
        return None
    if role == ADMIN:
        return users.filter(Q(groups__name=role) | Q(is_superuser=True)).values("username")
    return users.filter(groups__name=role).values("username")


def change_log(filters: LogFilters) -> QuerySet[LogEntry]:
    """Log entries matching every given filter, newest first."""
    rows = LogEntry.objects.exclude(system__in=filters.hidden_systems)
    if filters.actor:
        rows = rows.filter(actor=filters.actor)
    if filters.role == "system":
        rows = rows.exclude(actor__in=get_user_model().objects.values("username"))
    elif filters.role:
        rows = rows.filter(actor__in=_people_in(filters.role))
    if filters.system:
        rows = rows.filter(system=filters.system)
    if filters.code:
        display = get_system(filters.system).display(filters.code) if filters.system else None
        rows = rows.filter(code=display or filters.code.strip().upper())
    if filters.types:
        rows = rows.filter(type__in=filters.types)
    if filters.change_request:
        rows = rows.filter(change_request=filters.change_request)
    if filters.request_state:
        in_state = review.change_requests(status=filters.request_state).values("change_id")
        rows = rows.filter(change_request__in=in_state)
    if filters.since:
        rows = rows.filter(recorded_at__gte=_day_start(filters.since))
    if filters.until:
        rows = rows.filter(recorded_at__lt=_day_start(filters.until + timedelta(days=1)))
    return rows.order_by("-pk")


# --- one code ---------------------------------------------------------------------------------


def _versions(system: str, code: str) -> list[CodeVersion]:
    versions = list(CodeVersion.objects.filter(system=system, code=code).order_by("version"))
    if not versions:
        raise NotFound(f"no code {code} in {get_system(system).label}")
    return versions


def _superseded(version: CodeVersion, versions: list[CodeVersion]) -> bool:
    """A scheduled version whose every field a later version sets again before it comes into
    force (e.g. a revert of it): it will never be seen."""
    overridden = set()
    for later in versions:
        if later.version > version.version and later.effective_from <= version.effective_from:
            overridden |= set(later.changes)
    return set(version.changes) <= overridden


def timeline(*, system: str, code: str) -> dict:
    """Every version of a code with its word-level diff and the story of its request, and the
    requests for this code that changed nothing (rejected, withdrawn, still open)."""
    display = get_system(system).display(code)
    versions = _versions(system, display)
    requests = {
        r.change_id: r for r in ChangeRequestEntry.objects.filter(system=system, code=display)
    }
    today = timezone.localdate()
    rows = []
    for version in versions:
        request = requests.get(version.change_request)
        in_force = version.effective_from <= today
        rows.append(
            {
                "version": version.version,
                "type": version.type,
                "fields": [
                    field_diff(name, change.get("from"), change.get("to"))
                    for name, change in version.changes.items()
                    if name in FIELDS
                ],
                "change_request": version.change_request,
                "kind": request.kind if request else "",
                "reverts_version": request.reverts_version if request else None,
                "proposer": version.proposer,
                "reviewer": version.reviewer,
                "rationale": request.rationale if request else "",
                "decision_note": request.decision if request else "",
                "comments": request.comments if request else [],
                "submitted_at": request.submitted_at if request else None,
                "effective_from": version.effective_from,
                "in_force": in_force,
                "superseded": not in_force and _superseded(version, versions),
                "recorded_at": version.recorded_at,
                "position": version.position,
                "source": version.source,
                "release": version.release,
            }
        )
    applied = {v.change_request for v in versions if v.change_request}
    open_or_refused = [
        {
            "change_request": r.change_id,
            "kind": r.kind,
            "status": r.status,
            "proposer": r.proposer,
            "reviewer": r.reviewer,
            "rationale": r.rationale,
            "decision": r.decision,
            "fields": sorted(r.changes),
            "base_version": r.base_version,
            "comments": r.comments,
            "submitted_at": r.submitted_at,
            "updated_at": r.updated_at,
            "position": r.position,
        }
        for r in sorted(requests.values(), key=lambda r: r.submitted_position)
        if r.change_id not in applied
    ]
    return {"system": system, "code": display, "versions": rows, "requests": open_or_refused}


def blame(*, system: str, code: str, as_of: date | None = None) -> dict:
    """For each field: the version in force on `as_of` (default today) that last set it, who
    proposed and approved it, in which request or release, and when; and any change to the
    field that is approved but not yet in force."""
    display = get_system(system).display(code)
    versions = _versions(system, display)
    as_of = as_of or timezone.localdate()
    requests = ChangeRequestEntry.objects.in_bulk(
        [v.change_request for v in versions if v.change_request]
    )
    last: dict[str, CodeVersion] = {}
    upcoming: dict[str, CodeVersion] = {}
    for version in versions:  # in version order: a later version outranks an earlier one
        for name in version.changes:
            if name not in FIELDS:
                continue
            if version.effective_from <= as_of:
                last[name] = version
                upcoming.pop(name, None)  # a scheduled value this version overrides
            else:
                upcoming.setdefault(name, version)

    def origin(name: str, version: CodeVersion | None) -> dict | None:
        if version is None:
            return None
        request = requests.get(version.change_request)
        return {
            "version": version.version,
            "value": version.changes[name].get("to"),
            "change_request": version.change_request,
            "rationale": request.rationale if request else "",
            "proposer": version.proposer,
            "reviewer": version.reviewer,
            "source": version.source,
            "release": version.release,
            "effective_from": version.effective_from,
            "recorded_at": version.recorded_at,
            "position": version.position,
        }

    fields = []
    for name, spec in FIELDS.items():
        fields.append(
            {
                "field": name,
                "label": spec.label,
                "last_change": origin(name, last.get(name)),
                "scheduled": origin(name, upcoming.get(name)),
            }
        )
    return {"system": system, "code": display, "as_of": as_of, "fields": fields}
