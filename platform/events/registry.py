"""Event types and upcasters, registered by name.

An event type is a frozen dataclass with JSON-native fields (str, int, bool, None, lists and
dicts of those), registered under a type name and the current version of its shape (`schema`).
Stored rows never change: an upcaster turns data of schema N into schema N + 1 when it is read.
"""

import dataclasses
import functools
from collections.abc import Callable


class UnknownEventType(LookupError):
    """A stored event names a type that no code registers."""


class MissingUpcaster(LookupError):
    """A stored event has an old schema and no upcaster brings it to the current one."""


@dataclasses.dataclass(frozen=True)
class EventType:
    name: str
    cls: type
    schema: int


_types_by_name: dict[str, EventType] = {}
_types_by_class: dict[type, EventType] = {}
_upcasters: dict[tuple[str, int], Callable[[dict], dict]] = {}


def event_type(name: str, *, schema: int = 1):
    """Class decorator: register a frozen dataclass as the event type `name`."""

    def register(cls):
        if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
            raise TypeError(f"{cls.__name__} must be a frozen dataclass to be an event type")
        existing = _types_by_name.get(name)
        if existing and existing.cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"event type {name!r} is already registered by {existing.cls}")
        entry = EventType(name=name, cls=cls, schema=schema)
        _types_by_name[name] = entry
        _types_by_class[cls] = entry
        cls.event_type = name
        return cls

    return register


def upcaster(name: str, *, from_schema: int):
    """Function decorator: `fn(data) -> data` upgrades `name` from `from_schema` to the next."""

    def register(fn):
        _upcasters[(name, from_schema)] = fn
        return fn

    return register


def lookup(name: str) -> EventType:
    try:
        return _types_by_name[name]
    except KeyError:
        raise UnknownEventType(f"event type {name!r} is not registered") from None


def type_of(event) -> EventType:
    try:
        return _types_by_class[type(event)]
    except KeyError:
        raise UnknownEventType(
            f"{type(event).__name__} is not a registered event type (use @event_type)"
        ) from None


def encode(event) -> tuple[str, int, dict]:
    """(type name, schema, data) of a registered event instance.

    The data is the event's fields as they are (a shallow dict, not a deep copy): the append
    serialises it once, to canonical JSON, and refuses there what has no canonical form (floats,
    NUL characters, other types), so it is not walked twice (a code-set import spent a fifth of
    its time here when it was).
    """
    entry = type_of(event)
    return entry.name, entry.schema, {f.name: getattr(event, f.name) for f in _fields(type(event))}


@functools.cache
def _fields(cls) -> tuple:
    return dataclasses.fields(cls)


def upcast(name: str, schema: int, data: dict) -> tuple[int, dict]:
    """Bring stored data up to the registered schema of its type."""
    target = lookup(name).schema
    while schema < target:
        step = _upcasters.get((name, schema))
        if step is None:
            raise MissingUpcaster(f"no upcaster for {name!r} from schema {schema} to {schema + 1}")
        data = step(data)
        schema += 1
    if schema > target:
        raise MissingUpcaster(
            f"{name!r} stored with schema {schema}, newer than this code's {target}"
        )
    return schema, data


def decode(name: str, schema: int, data: dict):
    """The event instance for stored data, upcast to the current schema."""
    _, data = upcast(name, schema, data)
    return lookup(name).cls(**data)
