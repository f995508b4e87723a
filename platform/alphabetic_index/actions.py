"""Index release writes: a reviewer approves a proposed release (it comes into force and
supersedes the release it was compared with) or rejects it. Keyword arguments only; each
returns what it wrote with its event position. Importing is alphabetic_index.importing."""

from dataclasses import dataclass

from django.db import transaction

from alphabetic_index.domain import decide_approve, decide_reject
from alphabetic_index.importing import index_history
from codeledger.domain import Actor, NotFound
from codes.streams import index_stream
from events.store import NewEvent, StreamAppend, append_streams, lock_appends, stream_version


@dataclass(frozen=True)
class IndexDecision:
    release_id: str
    status: str  # in_force | rejected
    replaced: str | None
    position: int


def _history_with(release_id):
    history = index_history()
    if history.get(release_id) is None:
        raise NotFound(f"no index release {release_id}")
    return history


def index_release_approve(*, actor: Actor, release_id, note: str = "") -> IndexDecision:
    """Put a proposed index release in force, superseding the one it was compared with; both
    streams are appended at their current versions in one atomic append."""
    release_id = str(release_id)
    with transaction.atomic():
        lock_appends()
        history = _history_with(release_id)
        approved, superseded = decide_approve(actor, history, release_id, note)
        appends = [
            StreamAppend(
                index_stream(release_id),
                [NewEvent.of(approved)],
                stream_version(index_stream(release_id)),
            )
        ]
        if superseded:
            stream = index_stream(superseded.release_id)
            appends.append(StreamAppend(stream, [NewEvent.of(superseded)], stream_version(stream)))
        result = append_streams(appends, meta={"actor": actor.username})
    return IndexDecision(release_id, "in_force", approved.replaces, result.position)


def index_release_reject(*, actor: Actor, release_id, reason: str) -> IndexDecision:
    """Reject a proposed index release with a reason: it never comes into force."""
    release_id = str(release_id)
    with transaction.atomic():
        lock_appends()
        history = _history_with(release_id)
        rejected = decide_reject(actor, history, release_id, reason)
        stream = index_stream(release_id)
        result = append_streams(
            [StreamAppend(stream, [NewEvent.of(rejected)], stream_version(stream))],
            meta={"actor": actor.username},
        )
    return IndexDecision(release_id, "rejected", None, result.position)
