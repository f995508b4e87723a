"""Reads of change requests: the review queue, one request, and a code's history with the
rationale of each approved change."""

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When

from codeledger.domain import PROPOSERS, NotFound
from codes.models import CodeEntry
from codes.selectors import code_versions
from codes.systems import get_system
from review.models import ChangeRequestEntry


def code_history(*, system: str, code: str) -> list[dict]:
    """Every version with what changed, who proposed and approved it, and why."""
    versions = code_versions(system=system, code=code)
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
