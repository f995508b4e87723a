"""Index release events (stream `index:<release id>`, codes.streams), registered by name.

An index release is one year's Alphabetic Index as published: `IndexReleaseImported` (what was
imported, its counts and, for a later release, how it differs from the index in force), then
its entries in chunks (`IndexEntriesListed`, 500 each, in document order). The first index of a
system is in force at once; a later one waits for a reviewer (`IndexReleaseApproved`, with
`IndexReleaseSuperseded` on the release it replaces, in one atomic append; or
`IndexReleaseRejected`).
"""

from dataclasses import dataclass

from events.registry import event_type


@event_type("IndexReleaseImported")
@dataclass(frozen=True)
class IndexReleaseImported:
    release_id: str
    system: str
    source: str  # the file it was read from
    release: str  # e.g. "FY2025"
    proposer: str
    digest: str  # sha256 of what the file states (alphabetic_index.resolution.content_digest)
    counts: dict  # entries, main terms, references, code checks (resolution.index_counts)
    in_force: bool  # the first index of its system: in force without review
    base_release_id: str | None = None  # the release in force it was compared with
    changes: dict | None = None  # added / removed / changed entries against that release
    effective_from: str | None = None


@event_type("IndexEntriesListed")
@dataclass(frozen=True)
class IndexEntriesListed:
    release_id: str
    entries: list  # resolution.build_entries rows, codes checked


@event_type("IndexReleaseApproved")
@dataclass(frozen=True)
class IndexReleaseApproved:
    release_id: str
    reviewer: str
    replaces: str | None = None
    note: str = ""


@event_type("IndexReleaseSuperseded")
@dataclass(frozen=True)
class IndexReleaseSuperseded:
    """On the replaced release's stream, in the approval's append: two approvals racing to
    replace the same release cannot both succeed (the second finds the stream moved)."""

    release_id: str
    by: str


@event_type("IndexReleaseRejected")
@dataclass(frozen=True)
class IndexReleaseRejected:
    release_id: str
    reviewer: str
    reason: str


INDEX_EVENTS = (
    IndexReleaseImported,
    IndexEntriesListed,
    IndexReleaseApproved,
    IndexReleaseSuperseded,
    IndexReleaseRejected,
)

INDEX_EVENT_TYPES = frozenset(cls.event_type for cls in INDEX_EVENTS)
# The events that say which release is in force (all but the entries).
INDEX_DECISION_TYPES = INDEX_EVENT_TYPES - {IndexEntriesListed.event_type}
