"""The `search` projector: code events -> one Elasticsearch document per code.

Idempotent by construction: every write carries the code stream's version as an external version
(`external_gte`), and the document is computed from the whole stream (as in force today), so a
replayed or out-of-order event can never put older content over newer. A crash between the bulk
write and the checkpoint replays the batch harmlessly. Elasticsearch being down or answering 429
is transient: the runner retries with backoff and never halts on it.
"""

import logging
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from elasticsearch import ApiError, ConnectionTimeout, TransportError, helpers
from elasticsearch import ConnectionError as ESConnectionError

from alphabetic_index.events import INDEX_EVENT_TYPES
from codeledger.elastic import elasticsearch_client
from codes.events import CODE_EVENTS, CodeRegistered
from codes.streams import code_of_stream, code_stream
from codes.timeline import in_force_from, in_force_on
from events.bulk import cyclic_gc_paused
from events.models import ProjectorState
from events.projections import Projector, RunResult
from events.store import head_position, read_all, read_streams
from search.documents import (
    alias,
    document_id,
    document_source,
    index_definition,
    new_index_name,
)
from search.index_terms import (
    IndexTerms,
    all_index_terms,
    codes_named,
    index_projected_to,
    index_terms_for,
)

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = {408, 429, 502, 503, 504}


class IndexingFailed(RuntimeError):
    """Elasticsearch refused documents for a reason other than a stale version."""


class IndexingDeferred(IndexingFailed):
    """Elasticsearch is overloaded or unavailable for some documents (429/5xx): try later."""


class IndexTermsPending(IndexingDeferred):
    """The batch holds Alphabetic Index events the `alphabetic_index` read model has not
    reached yet (its projector runs apart): the codes' terms come from it, so try later."""


def ensure_index() -> None:
    """Create the first physical index and its alias, and save the mapping as a template."""
    client = elasticsearch_client()
    template = index_definition(f"{alias()}-*").as_composable_template(
        f"{alias()}-template", priority=100
    )
    template.save(using=client)
    if not client.indices.exists_alias(name=alias()):
        name = new_index_name()
        index_definition(name).create(using=client)
        client.indices.put_alias(index=name, name=alias())


def _document_actions(events, *, index: str, today: date, terms=None):
    """One index action per code touched by the batch (by its own events, or by Alphabetic
    Index events naming it), computed from the whole stream, with the code's index terms.
    What it reads from the database it reads here, in the caller's thread (and transaction);
    the documents are built lazily, as parallel_bulk's feeder thread asks for them. `terms`,
    when given, holds every code's index terms, read once for a rebuild (all_index_terms)."""
    by_stream: dict[str, list] = {}
    index_events = []
    for recorded in events:
        if recorded.type in INDEX_EVENT_TYPES:
            index_events.append(recorded)
        else:
            by_stream.setdefault(recorded.stream, []).append(recorded)
    # A brand-new code's history is its one event; the others are read in one query.
    plain = {
        stream
        for stream, recorded in by_stream.items()
        if len(recorded) == 1
        and recorded[0].version == 1
        and isinstance(recorded[0].event, CodeRegistered)
    }
    named = [code_stream(*code) for code in codes_named(index_events)] if index_events else []
    histories = read_streams(
        [stream for stream in by_stream if stream not in plain]
        + [stream for stream in named if stream not in by_stream]
    )
    for stream in named:
        if histories.get(stream):  # a code the index names but the log does not hold: skip
            by_stream.setdefault(stream, histories[stream])
    if terms is None:
        terms = index_terms_for(code_of_stream(stream) for stream in by_stream)
    return _actions(by_stream, plain, histories, terms, index=index, today=today)


def _actions(by_stream, plain, histories, terms, *, index: str, today: date):
    for stream, recorded in by_stream.items():
        history = recorded if stream in plain else histories[stream]
        # A code whose registration is itself scheduled is indexed hidden until that day.
        standing = in_force_on(history, today)
        view, in_force, next_change_on = standing.view, standing.in_force, standing.next_change_on
        entries = terms.get((view.state.system, view.state.code)) or IndexTerms()
        source = document_source(
            view.state,
            position=history[-1].position,
            effective_from=in_force_from(history[0]).isoformat(),
            updated_at=view.updated_at.isoformat(),
            next_change_on=next_change_on.isoformat() if next_change_on else None,
            in_force=in_force,
            index_terms=entries.terms,
            index_main=entries.main,
            index_named=entries.named,
            index_heads=entries.heads,
        )
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": document_id(view.state.system, view.state.code),
            "version": history[-1].version,
            "version_type": "external_gte",
            "_source": source,
        }


def write_documents(
    events, *, index: str | None = None, today: date | None = None, terms=None
) -> int:
    """Bulk index the codes of these events; stale versions (409) count as already applied."""
    client = elasticsearch_client()
    written = 0
    actions = _document_actions(
        events, index=index or alias(), today=today or timezone.localdate(), terms=terms
    )
    # Two threads send chunks while this one builds the next: building (Python) and indexing
    # (Elasticsearch) overlap. A 429 or 5xx item defers the batch: the projector retries it.
    for ok, item in helpers.parallel_bulk(
        client, actions, thread_count=2, chunk_size=500, raise_on_error=False
    ):
        outcome = item.get("index", {})
        if ok:
            written += 1
        elif outcome.get("status") in TRANSIENT_STATUSES:
            raise IndexingDeferred(f"document {outcome.get('_id')}: {outcome.get('error')}")
        elif outcome.get("status") != 409:
            raise IndexingFailed(f"document {outcome.get('_id')}: {outcome.get('error')}")
    return written


# While a new index is built, before any reader sees it: no refreshes, and the translog synced
# in the background rather than on every bulk request (a crash loses only this index, which
# the rebuild deletes anyway). Both go back to their defaults before the alias swap.
BUILDING_SETTINGS = {"index": {"refresh_interval": "-1", "translog.durability": "async"}}


class SearchProjector(Projector):
    name = "search"
    # The Alphabetic Index's events too: a release imported (or decided) after the codes
    # reindexes the codes it names, so their documents pick its terms up.
    handles = frozenset(cls.event_type for cls in CODE_EVENTS) | INDEX_EVENT_TYPES
    transactional = False
    # Large batches give parallel_bulk chunks to overlap (1,000 -> 5,000: ~20% faster).
    batch_size = 5000

    def __init__(self):
        self._index_ready_for = None

    def apply(self, events):
        if self._index_ready_for != alias():
            ensure_index()
            self._index_ready_for = alias()
        last_index_event = max(
            (e.position for e in events if e.type in INDEX_EVENT_TYPES), default=0
        )
        if last_index_event > index_projected_to():
            raise IndexTermsPending(f"the alphabetic_index read model is behind {last_index_event}")
        write_documents(events)
        # The checkpoint moves once this returns, and searches report it as their `position`:
        # make the batch searchable first, or a position would claim content that searches
        # do not find until the next scheduled refresh (up to a second later, or longer).
        elasticsearch_client().indices.refresh(index=alias())

    def is_transient(self, error):
        # A timeout is the node being slow (a busy machine), not the event's fault: without
        # this, one slow bulk answer sent the batch to be retried event by event.
        if isinstance(error, ESConnectionError | ConnectionTimeout | IndexingDeferred):
            return True
        status = getattr(error, "status_code", None) or getattr(
            getattr(error, "meta", None), "status", None
        )
        return isinstance(error, ApiError | TransportError) and status in TRANSIENT_STATUSES

    def clear(self):
        raise NotImplementedError("the search index is rebuilt into a new index (rebuild)")

    def snapshot(self):
        client = elasticsearch_client()
        client.indices.refresh(index=alias())
        hits = helpers.scan(client, index=alias(), query={"query": {"match_all": {}}}, version=True)
        return sorted((hit["_id"], hit["_version"], hit["_source"]) for hit in hits)

    def rebuild(self, *, progress=None) -> RunResult:
        """Build a new physical index from the log, then swap the alias in one atomic call.

        Searches keep answering from the old index the whole time; the live projector keeps
        feeding it. The new index is built with refresh off and no replicas, caught up to the
        head, then, holding the projector's state row (so no live batch runs), topped up with
        the last events, refreshed, and put behind the alias; the old index is removed.
        """
        client = elasticsearch_client()
        ensure_index()
        name = new_index_name()
        index_definition(name).create(using=client)
        client.indices.put_settings(index=name, settings=BUILDING_SETTINGS)
        types = sorted(self.handles)
        checkpoint, applied = 0, 0

        def copy_up_to(head, terms=None, terms_hold=0):
            """Index the codes of the events up to `head`, each with its index terms (`terms`,
            read once, or per batch). The Alphabetic Index's events up to `terms_hold` are
            already in `terms`, so in every code's document: the codes they name are not
            indexed again for them (in a first start, every code of the index a second time,
            a quarter of the rebuild)."""
            nonlocal checkpoint, applied
            while checkpoint < head:
                with cyclic_gc_paused():
                    events = read_all(
                        after=checkpoint, limit=self.batch_size, types=types, upto=head
                    )
                    fresh = [
                        event
                        for event in events
                        if event.position > terms_hold or event.type not in INDEX_EVENT_TYPES
                    ]
                    if fresh:
                        write_documents(fresh, index=name, terms=terms)
                applied += len(events)
                checkpoint = events[-1].position if len(events) == self.batch_size else head
                if progress:
                    progress(checkpoint, head)

        try:
            # The bulk of the log with every code's index terms read once; the top-up below
            # reads them per batch, so a release decided meanwhile is seen.
            terms_hold = index_projected_to()  # read first: the terms hold at least this
            copy_up_to(head_position(), all_index_terms(), terms_hold)
            with transaction.atomic():
                ProjectorState.objects.get_or_create(name=self.name)
                if connection.vendor == "postgresql":
                    # A live batch may hold the row while Elasticsearch retries: wait for it.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '120s'")
                state = ProjectorState.objects.select_for_update().get(name=self.name)
                copy_up_to(head_position())
                # Back to the default, not an explicit "1s": unset, a shard that sees no
                # searches for 30 s stops refreshing until the next search (Elasticsearch's
                # search-idle), so a long catch-up with nobody searching indexes faster.
                client.indices.put_settings(
                    index=name, settings={"index": dict.fromkeys(BUILDING_SETTINGS["index"])}
                )
                client.indices.refresh(index=name)
                # Commit the bulk load to Lucene and trim its translog: otherwise the node's
                # next start replays it before the index answers (26 s for ICD-10-CM, during
                # which every search timed out: `make run`'s second start).
                client.indices.flush(index=name)
                old = list(client.indices.get_alias(name=alias()))
                client.indices.update_aliases(
                    actions=[
                        *({"remove": {"index": index, "alias": alias()}} for index in old),
                        {"add": {"index": name, "alias": alias()}},
                    ]
                )
                state.checkpoint = checkpoint
                state.failures, state.halted, state.retry_after = 0, False, None
                state.failing_position, state.last_success_at = None, timezone.now()
                state.save()
        except BaseException:
            client.options(ignore_status=404).indices.delete(index=name)
            raise
        for index in old:
            client.options(ignore_status=404).indices.delete(index=index)
        log.info("search index rebuilt into %s from %d events", name, applied)
        return RunResult(self.name, "caught_up", applied=applied, checkpoint=checkpoint)
