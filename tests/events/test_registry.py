"""Event types registered by name; old schemas upcast on read; unknown types named clearly."""

from dataclasses import dataclass

import pytest

from events.registry import MissingUpcaster, UnknownEventType, event_type, upcaster
from events.store import NewEvent, append, read_stream


@event_type("test.Renamed", schema=3)
@dataclass(frozen=True)
class Renamed:
    code: str
    title: str
    reason: str


@upcaster("test.Renamed", from_schema=1)
def _renamed_v1_to_v2(data):
    return {"code": data["code"], "title": data["name"]}


@upcaster("test.Renamed", from_schema=2)
def _renamed_v2_to_v3(data):
    return {**data, "reason": "not recorded before schema 3"}


@pytest.mark.django_db
def test_old_schemas_are_upcast_through_the_chain_and_stored_rows_never_change():
    append(
        "code:x",
        [
            NewEvent(type="test.Renamed", schema=1, data={"code": "A00", "name": "Cholera"}),
            NewEvent(type="test.Renamed", schema=2, data={"code": "A00", "title": "Cholera!"}),
            NewEvent.of(Renamed(code="A00", title="Cholera, unspecified", reason="typo")),
        ],
    )
    events = [recorded.event for recorded in read_stream("code:x")]
    assert events == [
        Renamed("A00", "Cholera", "not recorded before schema 3"),
        Renamed("A00", "Cholera!", "not recorded before schema 3"),
        Renamed("A00", "Cholera, unspecified", "typo"),
    ]
    stored = read_stream("code:x", upcast=False)
    assert (stored[0].schema, stored[0].data) == (1, {"code": "A00", "name": "Cholera"})


@pytest.mark.django_db
def test_reading_an_unknown_event_type_names_it():
    append("code:x", [NewEvent(type="test.NeverRegistered", data={})])
    with pytest.raises(UnknownEventType, match=r"test\.NeverRegistered"):
        read_stream("code:x")


def test_a_schema_without_upcaster_is_reported():
    @event_type("test.Gapped", schema=3)
    @dataclass(frozen=True)
    class Gapped:
        value: str

    from events.registry import decode

    with pytest.raises(MissingUpcaster, match=r"from schema 1 to 2"):
        decode("test.Gapped", 1, {"value": "x"})


def test_event_types_must_be_frozen_dataclasses():
    with pytest.raises(TypeError, match="frozen dataclass"):

        @event_type("test.Mutable")
        @dataclass
        class Mutable:
            value: str
