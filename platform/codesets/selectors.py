"""Reads of release change sets and their items."""

from codeledger.domain import NotFound
from codesets.models import ReleaseEntry, ReleaseItem


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
