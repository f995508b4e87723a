"""Canonical JSON and the hash chain: the same bytes, and so the same hash, on any machine.

Canonical form: keys sorted, no insignificant whitespace, UTF-8, times as UTC ISO-8601 with
microseconds and a `Z`, UUIDs as lowercase hyphenated strings. Floats are refused: event content
carries identifiers, text, integers and booleans, and a float's text form is not portable.
"""

import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime

import orjson

GENESIS_HASH = "0" * 64


def canonical_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes have no canonical form: give a timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value):
    """Turn a value into JSON-native types, refusing what has no canonical form."""
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL's jsonb cannot hold NUL: refuse it before anything is written.
            raise ValueError("NUL characters (\\x00) cannot be stored in events")
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        raise TypeError(f"floats are not allowed in events ({value!r}): use an integer or a string")
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("event JSON objects must have string keys")
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in an event")


def plain_json(value):
    """The JSON-native form of event data or meta (what is stored and what is hashed)."""
    return _plain(value)


def canonical_json(value) -> str:
    return dumps_plain(_plain(value))


def dumps_plain(value) -> str:
    """Canonical JSON of a value that is already plain (skips the cleaning pass)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# How the encoder writes a NUL character: \u0000 after an even number of backslashes (after
# an odd number, the backslash is the user's own text and the NUL is not real).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


# Every float the encoder writes is a number token with a "." or an exponent, first in the text
# or right after ":", "," or "[" (the separators have no spaces). Text without that pattern has
# no float and skips the re-read; text with it (a float, or a string like one) is re-read.
# Two patterns, not one with "^|": the alternation makes every search four times slower.
_MAYBE_FLOAT = re.compile(r"[:,\[]-?\d+[.eE]")
_LEADING_FLOAT = re.compile(r"-?\d+[.eE]")


def _refuse_float(text):
    raise TypeError(f"floats are not allowed in events ({text}): use an integer or a string")


def _encode_other(value):
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in an event")


# orjson writes canonical JSON as it stands (keys sorted by code point, no whitespace, UTF-8, the
# same escapes as the json module) four to five times faster. Times go through `default` so
# they keep their canonical form; dataclasses too, so they are refused as canonical_json does.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def canonical_dumps(value) -> str:
    """canonical_json(value), by orjson: the append hot path's serialiser.

    Same text as canonical_json for every value it accepts (a property test checks it); the
    refusals are checked on the text: floats by re-reading it (the parser calls back only for
    floats), NUL characters by their escape. What orjson does not take (integers beyond 64
    bits, nesting deeper than 254, keys that are not strings) goes the slow way, which keeps
    the canonical form or refuses it.
    """
    try:
        text = orjson.dumps(value, default=_encode_other, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError as error:
        if isinstance(error.__cause__, TypeError | ValueError):  # refused by _encode_other
            raise error.__cause__ from None
        return canonical_json(value)
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise ValueError("NUL characters (\\x00) cannot be stored in events")
    if _MAYBE_FLOAT.search(text) or _LEADING_FLOAT.match(text):
        json.loads(text, parse_float=_refuse_float)
    return text


def content_json(
    *, stream, version, event_id, type, schema, data_json, meta_json, recorded_at
) -> str:
    """canonical_json(event_content(...)), assembled from pre-serialised data and meta.

    The append hot path serialises data and meta once, before taking the append lock; the keys
    here are in sorted order, exactly as dumps_plain writes them (a test checks the equality).
    """
    return (
        f'{{"data":{data_json},"event_id":"{event_id}","meta":{meta_json},'
        f'"recorded_at":"{recorded_at}","schema":{int(schema)},'
        f'"stream":{_json_string(stream)},"type":{_json_string(type)},'
        f'"version":{int(version)}}}'
    )


def _json_string(text: str) -> str:
    """A string as canonical JSON (orjson escapes exactly as the json module does)."""
    return orjson.dumps(text).decode()


def hash_of(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def event_content(*, stream, version, event_id, type, schema, data, meta, recorded_at) -> dict:
    """The part of an event that its hash covers. Position is not in it: the chain's order is."""
    return {
        "stream": stream,
        "version": version,
        "event_id": str(event_id),
        "type": type,
        "schema": schema,
        "data": data,
        "meta": meta,
        "recorded_at": canonical_time(recorded_at),
    }


def chain_hash(prev_hash: str, content: dict) -> str:
    """hash = SHA-256(prev_hash + canonical JSON of the event)."""
    return hash_of(prev_hash, canonical_json(content))
