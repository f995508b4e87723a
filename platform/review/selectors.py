"""Reads of change requests: the review queue, one request, and a code's history with the
rationale of each approved change."""

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When

from codeledger.domain import PROPOSERS, NotFound
from codes.content import FIELDS
from codes.diff import field_diff
from codes.models import CodeEntry
from codes.selectors import code_at_version, code_versions
from codes.streams import change_stream
from codes.systems import get_system
from events.store import read_stream
from review.events import (
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestCommented,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
    ChangeRequestWithdrawn,
)
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


def change_request_thread(*, change_id) -> list[dict]:
    """The conversation on a change request, in the order it happened, read from its events
    (the queue's row keeps only the latest revision and decision; this keeps them all).

    Each item has a `kind` (proposed, revised, comment, changes_requested, approved, rejected,
    withdrawn), `who`, `at` and its text. A revision carries its rationale and `diffs`: the
    first against the code at its base version, each later one against the revision before
    it, so a reviewer sees what the proposer changed in answer to them; `after_changes_requested`
    marks a revision sent after a reviewer asked for changes."""
    items, previous, status = [], None, "none"
    bases = {}  # base version -> the code's content then (several revisions share one)

    def base_content(system, code, version) -> dict:
        if not version:
            return {}
        if version not in bases:
            try:
                bases[version] = code_at_version(system=system, code=code, version=version).content
            except NotFound:
                bases[version] = {}
        return bases[version]

    system = code = ""
    for recorded in read_stream(change_stream(change_id)):
        event = recorded.event
        item = {"at": recorded.recorded_at.isoformat(), "version": recorded.version}
        if isinstance(event, ChangeRequestSubmitted | ChangeRequestRevised):
            if isinstance(event, ChangeRequestSubmitted):
                system, code = event.system, event.code
            base = base_content(system, code, event.base_version)
            proposal = {**base, **event.changes}
            before = base if previous is None else previous["proposal"]
            touched = set(event.changes) | set(previous["changes"] if previous else ())
            diffs = [
                field_diff(name, before.get(name), proposal.get(name))
                for name in FIELDS  # in the order the code page shows them
                if name in touched and before.get(name) != proposal.get(name)
            ]
            revised = isinstance(event, ChangeRequestRevised)
            item.update(
                kind="revised" if revised else "proposed",
                who=event.by if revised else event.proposer,
                number=1 if previous is None else previous["number"] + 1,
                rationale=event.rationale,
                base_version=event.base_version,
                effective_from=event.effective_from,
                diffs=diffs,
                after_changes_requested=revised and status == "changes_requested",
            )
            previous = {"changes": event.changes, "proposal": proposal, "number": item["number"]}
            status = "submitted"
        elif isinstance(event, ChangeRequestCommented):
            item.update(
                kind="comment",
                who=event.author,
                author=event.author,
                text=event.text,
                id=event.comment_id,
            )
        elif isinstance(event, ChangeRequestChangesRequested):
            item.update(kind="changes_requested", who=event.reviewer, text=event.message)
            status = "changes_requested"
        elif isinstance(event, ChangeRequestApproved):
            item.update(kind="approved", who=event.reviewer, text=event.note)
            status = "approved"
        elif isinstance(event, ChangeRequestRejected):
            item.update(kind="rejected", who=event.reviewer, text=event.reason)
            status = "rejected"
        elif isinstance(event, ChangeRequestWithdrawn):
            item.update(kind="withdrawn", who=event.by, text="")
            status = "withdrawn"
        else:  # an event type this screen does not know yet: left out, never a failure
            continue
        items.append(item)
    return items
