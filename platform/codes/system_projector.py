"""The `code_systems` projector: each code system defined by an imported file as its stream
says today (CodeSystemEntry), read by codes.systems.SYSTEMS."""

from codes.events import CODE_SYSTEM_EVENT_TYPES
from codes.models import CodeSystemEntry
from codes.streams import code_system_stream
from codes.system_definitions import DEFINITION_FIELDS, evolve_definition
from codes.systems import SYSTEMS
from events.projections import Projector
from events.store import read_streams


def refresh_code_systems(names: list[str]) -> None:
    """Recompute the rows of these systems from their streams. The import that defines a
    system calls it in its own transaction (its codes are checked against the definition); the
    projector calls it again later, to the same effect."""
    streams = {name: code_system_stream(name) for name in names}
    histories = read_streams(list(streams.values()))
    for name, stream in streams.items():
        history = histories.get(stream) or []
        if not history:
            continue
        definition = None
        for recorded in history:
            definition = evolve_definition(definition, recorded.event)
        CodeSystemEntry.objects.update_or_create(
            name=name,
            defaults={
                **{field: definition[field] for field in DEFINITION_FIELDS},
                "stream_version": history[-1].version,
                "defined_at": history[0].recorded_at,
                "revised_at": history[-1].recorded_at,
                "position": history[-1].position,
            },
        )
    SYSTEMS.forget()


class CodeSystemProjector(Projector):
    name = "code_systems"
    handles = CODE_SYSTEM_EVENT_TYPES

    def apply(self, events):
        refresh_code_systems(list(dict.fromkeys(recorded.event.name for recorded in events)))

    def clear(self):
        CodeSystemEntry.objects.all().delete()
        SYSTEMS.forget()

    def snapshot(self):
        rows = CodeSystemEntry.objects.order_by("name").values()
        return {"code_systems": [{k: v for k, v in row.items() if k != "id"} for row in rows]}
