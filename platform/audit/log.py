"""The global change log: every event told in domain words (projector `changelog`).

One row per event, whatever its type: an auditor reads "bob approved change request 1a2b3c4d
(ICD-10-CM E11.9 v3)", not JSON. Change-request and release events that do not name their code
or system inherit them from the request's submission or the release's proposal (looked up in this
same read model, or earlier in the batch).
"""

from collections.abc import Sequence

from audit.models import LogEntry
from codes import events as code_events
from codes.content import FIELDS
from codes.systems import SYSTEMS
from codesets import events as release_events
from events import registry
from events.bulk import bulk_insert_values
from events.projections import Projector
from events.store import RecordedEvent
from review import events as change_events

QUOTE_LIMIT = 160


def _quote(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 1] + "…"
    return f"“{text}”"


def _fields(names) -> str:
    return ", ".join(FIELDS[n].label.lower() if n in FIELDS else n for n in names) or "nothing"


def _short(change_id) -> str:
    return str(change_id)[:8]


def _label(system: str) -> str:
    return SYSTEMS[system].label if system in SYSTEMS else system


def _provenance(event, meta: dict) -> str:
    parts = []
    if event.change_request:
        parts.append(f"change request {_short(event.change_request)}")
    elif meta.get("release"):
        source = f" ({meta['source']})" if meta.get("source") else ""
        parts.append(f"release {meta['release']}{source}")
    if event.proposer:
        parts.append(f"proposed by {event.proposer}")
    if event.reviewer:
        parts.append(f"approved by {event.reviewer}")
    text = f" ({', '.join(parts)})" if parts else ""
    if event.effective_from:
        text += f", in force from {event.effective_from}"
    return text


def _code_summary(event, recorded: RecordedEvent) -> str:
    code = f"{_label(event.system)} {event.code}"
    meta = recorded.meta
    match event:
        case code_events.CodeRegistered():
            return f"{code} registered (v{recorded.version})" + _provenance(event, meta)
        case code_events.CodeRevised():
            return f"{code} v{recorded.version} revised: {_fields(event.changes)}" + _provenance(
                event, meta
            )
        case code_events.CodeRetired():
            return f"{code} retired (v{recorded.version})" + _provenance(event, meta)
        case code_events.CodeReinstated():
            return f"{code} reinstated (v{recorded.version})" + _provenance(event, meta)
        case code_events.CommonDescriptionConfirmed():
            return f"{event.by} confirmed the common-language description of {code}"
    return f"{recorded.type} on {code}"


def _request_summary(event, code: str) -> str:
    on = f" ({code})" if code else ""
    request = f"change request {_short(event.change_id)}"
    match event:
        case change_events.ChangeRequestSubmitted(kind="new"):
            return f"{event.proposer} proposed the new code {code} in {request}: " + _quote(
                event.rationale
            )
        case change_events.ChangeRequestSubmitted(kind="revert"):
            return (
                f"{event.proposer} proposed reverting {code} to version {event.reverts_version} "
                f"in {request}: {_quote(event.rationale)}"
            )
        case change_events.ChangeRequestSubmitted():
            return (
                f"{event.proposer} proposed a change to {code} ({_fields(event.changes)}) in "
                f"{request}: {_quote(event.rationale)}"
            )
        case change_events.ChangeRequestRevised():
            return f"{event.by} revised {request}{on} ({_fields(event.changes)}): " + _quote(
                event.rationale
            )
        case change_events.ChangeRequestCommented():
            return f"{event.author} commented on {request}{on}: {_quote(event.text)}"
        case change_events.ChangeRequestApproved():
            return f"{event.reviewer} approved {request}{on}, making version {event.code_version}"
        case change_events.ChangeRequestRejected():
            return f"{event.reviewer} rejected {request}{on}: {_quote(event.reason)}"
        case change_events.ChangeRequestChangesRequested():
            return f"{event.reviewer} asked for changes to {request}{on}: {_quote(event.message)}"
        case change_events.ChangeRequestWithdrawn():
            return f"{event.by} withdrew {request}{on}"
    return f"{type(event).__name__} of {request}"


def _release_summary(event, release: str) -> str:
    name = f"release {release}" if release else f"release {_short(event.release_id)}"
    match event:
        case release_events.ReleaseProposed():
            counts = event.counts or {}
            sizes = ", ".join(
                f"{counts[kind]} {kind}"
                for kind in ("added", "revised", "retired", "reinstated")
                if counts.get(kind)
            )
            return (
                f"{event.proposer} proposed {name} of {_label(event.system)} from {event.source}"
                + (f": {sizes}" if sizes else "")
            )
        case release_events.ReleaseItemsListed():
            return f"{name}: {len(event.items)} items listed for review"
        case release_events.ReleaseItemsApplied():
            return f"{event.reviewer} approved and applied {len(event.codes)} items of {name}"
        case release_events.ReleaseItemsRejected():
            return f"{event.reviewer} rejected {len(event.codes)} items of {name}: " + _quote(
                event.reason
            )
        case release_events.ReleaseItemsConflicted():
            return (
                f"{len(event.conflicts)} items of {name} could not be applied: their codes "
                f"changed since the release was compared (approval by {event.reviewer})"
            )
    return f"{type(event).__name__} of {name}"


def _decode(recorded: RecordedEvent):
    try:
        return registry.decode(recorded.type, recorded.schema, recorded.data)
    except (registry.UnknownEventType, registry.MissingUpcaster, TypeError):
        return None


class ChangeLogProjector(Projector):
    """Writes one LogEntry per event. Reads the envelope of every type (known or not)."""

    name = "changelog"
    upcast = False
    for_auditors = True
    batch_size = 5000

    def apply(self, events: Sequence[RecordedEvent]) -> None:
        requests, releases = self._known_subjects(events)
        rows = []
        for recorded in events:
            event = _decode(recorded)
            # A row as values (events.bulk.bulk_insert_values), not a LogEntry instance: the
            # model's __init__ was a large part of this projector's time.
            row = {
                "event_id": recorded.position,
                "recorded_at": recorded.recorded_at,
                "type": recorded.type,
                "stream": recorded.stream,
                "version": recorded.version,
                "actor": str(recorded.meta.get("actor", "")),
                "system": "",
                "code": "",
                "change_request": None,
                "release_id": None,
                "summary": "",
            }
            if isinstance(event, code_events.CODE_EVENTS):
                row["system"], row["code"] = event.system, event.code
                row["change_request"] = getattr(event, "change_request", None)
                row["summary"] = _code_summary(event, recorded)
            elif isinstance(event, change_events.CHANGE_EVENTS):
                if isinstance(event, change_events.ChangeRequestSubmitted):
                    requests[event.change_id] = (event.system, event.code)
                row["system"], row["code"] = requests.get(event.change_id, ("", ""))
                row["change_request"] = event.change_id
                code = f"{_label(row['system'])} {row['code']}" if row["code"] else ""
                row["summary"] = _request_summary(event, code)
            elif isinstance(event, release_events.RELEASE_EVENTS):
                if isinstance(event, release_events.ReleaseProposed):
                    releases[event.release_id] = (event.system, event.release)
                row["system"], release = releases.get(event.release_id, ("", ""))
                row["release_id"] = event.release_id
                row["summary"] = _release_summary(event, release)
            else:
                row["summary"] = (
                    f"{recorded.type} on {recorded.stream} (version {recorded.version})"
                )
            if row["code"] and row["system"] in SYSTEMS:
                row["code"] = SYSTEMS[row["system"]].display(row["code"])
            rows.append(row)
        bulk_insert_values(LogEntry, rows)

    @staticmethod
    def _known_subjects(events):
        """The code of each change request and the release label of each release that this
        batch mentions but did not start (they started in an earlier batch)."""
        change_ids = {e.data.get("change_id") for e in events if e.type.startswith("ChangeRequest")}
        release_ids = {e.data.get("release_id") for e in events if e.type.startswith("Release")}
        change_ids.discard(None)
        release_ids.discard(None)
        requests = {
            str(change_id): (system, code)
            for change_id, system, code in LogEntry.objects.filter(
                change_request__in=change_ids, type="ChangeRequestSubmitted"
            ).values_list("change_request", "system", "code")
        }
        releases = {}
        for release_id, system, data in LogEntry.objects.filter(
            release_id__in=release_ids, type="ReleaseProposed"
        ).values_list("release_id", "system", "event__data"):
            releases[str(release_id)] = (system, data.get("release", ""))
        return requests, releases

    def clear(self):
        LogEntry.objects.all().delete()

    def snapshot(self):
        return list(
            LogEntry.objects.order_by("pk").values_list(
                "pk", "type", "actor", "system", "code", "change_request", "summary"
            )
        )
