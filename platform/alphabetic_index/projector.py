"""The `alphabetic_index` projector: index releases (IndexRelease) and their entries
(IndexEntry). Everything it writes comes from the events: resolved references and code checks
were decided by the import and are recorded with the entries."""

import unicodedata

from django.db import connection, models

from alphabetic_index.events import (
    INDEX_EVENT_TYPES,
    IndexEntriesListed,
    IndexReleaseApproved,
    IndexReleaseImported,
    IndexReleaseRejected,
    IndexReleaseSuperseded,
)
from alphabetic_index.models import IndexEntry, IndexRelease
from codes.projector import snapshot_rows
from events.bulk import bulk_insert
from events.projections import Projector


def search_text(text: str) -> str:
    """Lowercase, without accents, single spaces: "Sjögren" is found by "sjogren"."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _entry(release_id: str, data: dict, position: int) -> IndexEntry:
    return IndexEntry(
        release_id=release_id,
        n=data["n"],
        letter=data["letter"],
        level=data["level"],
        parent=data["parent"],
        subterms=data["subterms"],
        title=data["title"],
        path=data["path"],
        search_text=search_text(f"{data['path']} {data['modifiers']}"),
        modifiers=data["modifiers"],
        see=data["see"],
        see_also=data["see_also"],
        see_target=data["see_target"],
        see_also_target=data["see_also_target"],
        code=data["code"],
        manifestation=data["manifestation"],
        resolved_code=data["resolved_code"],
        resolved_via=data["resolved_via"],
        code_status=data["code_status"],
        attached_code=data["attached_code"],
        position=position,
    )


def _store_entries(entries: list[IndexEntry]) -> None:
    """Insert entry rows: COPY on PostgreSQL (events.bulk); on SQLite one executemany, as the
    ORM's bulk_create spent 11 of the 13 s a full index took preparing values field by field
    (only the UUID needs converting here)."""
    if connection.vendor == "postgresql":
        bulk_insert(IndexEntry, entries)
        return
    fields = [field for field in IndexEntry._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = (
        f"INSERT INTO {connection.ops.quote_name(IndexEntry._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    uuids = {f.attname for f in fields if isinstance(f, models.UUIDField)}
    rows = [
        [
            field.get_db_prep_save(value, connection) if field.attname in uuids else value
            for field in fields
            for value in (getattr(entry, field.attname),)
        ]
        for entry in entries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def _apply(recorded) -> None:
    event = recorded.event
    if isinstance(event, IndexEntriesListed):
        _store_entries([_entry(event.release_id, row, recorded.position) for row in event.entries])
        return
    if isinstance(event, IndexReleaseImported):
        IndexRelease.objects.create(
            release_id=event.release_id,
            system=event.system,
            source=event.source,
            release=event.release,
            proposer=event.proposer,
            effective_from=event.effective_from,
            digest=event.digest,
            counts=event.counts,
            changes=event.changes,
            status="in_force" if event.in_force else "proposed",
            base_release_id=event.base_release_id,
            imported_at=recorded.recorded_at,
            version=recorded.version,
            imported_position=recorded.position,
            position=recorded.position,
        )
        return
    release = IndexRelease.objects.get(release_id=event.release_id)
    if isinstance(event, IndexReleaseApproved | IndexReleaseRejected):
        approved = isinstance(event, IndexReleaseApproved)
        release.status = "in_force" if approved else "rejected"
        release.decided_by = event.reviewer
        release.reason = event.note if approved else event.reason
        release.decided_at = recorded.recorded_at
    elif isinstance(event, IndexReleaseSuperseded):
        release.status, release.superseded_by = "superseded", event.by
    release.version, release.position = recorded.version, recorded.position
    release.save()


class IndexProjector(Projector):
    name = "alphabetic_index"
    handles = INDEX_EVENT_TYPES
    batch_size = 50  # events of 500 entries each: 25,000 rows per transaction

    def apply(self, events):
        for recorded in events:
            _apply(recorded)

    def clear(self):
        IndexEntry.objects.all().delete()
        IndexRelease.objects.all().delete()

    def snapshot(self):
        return {
            "releases": snapshot_rows(IndexRelease, ["imported_position"]),
            "entries": snapshot_rows(IndexEntry, ["release_id", "n"]),
        }
