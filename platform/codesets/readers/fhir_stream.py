"""Reading a FHIR CodeSystem resource (JSON) one concept at a time, in bounded memory: for
`codes_import --file F --format fhir` (codesets.files), which reads a file twice (check, then
write) and so never holds its parsed tree.

The JSON is parsed as a stream of events (ijson, its C backend: `yajl2_c`); each concept is
built without its nested `concept` list and handed to the whole-resource reader's `_row`
(codesets.readers.fhir_json), so both readers say the same things about a concept. A concept
comes out when its object closes: children before their parent (the parent's code is known by
then, or the children wait for it). The resource's other top-level elements (url, name,
version...) are the header, complete once the concepts are read.

Without ijson (it is not yet a declared dependency of every install) the file is loaded whole
and walked the same way: the same rows and messages, without the memory bound.
"""

import json
from collections.abc import Iterator

from codesets.readers.fhir_json import (
    CodeSystemHeader,
    ConceptRow,
    MalformedCodeSystem,
    _row,
    read_header,
)

try:
    import ijson
except ImportError:  # pragma: no cover - the fallback is for installs without ijson
    ijson = None
JSON_ERRORS = (ValueError,) if ijson is None else (ValueError, ijson.JSONError)


class _Map:
    def __init__(self):
        self.data, self.key = {}, None

    def add(self, value):
        self.data[self.key] = value


class _List:
    def __init__(self):
        self.data = []

    def add(self, value):
        self.data.append(value)


class _Concept(_Map):
    """A concept being read: its elements but its children, and the children that closed
    before its own code was read (they need it as their parent)."""

    def __init__(self, path: str, parent: "_Concept | None"):
        super().__init__()
        self.path, self.parent, self.waiting = path, parent, []

    def code(self) -> str | None:
        code = self.data.get("code")
        return code.strip() if isinstance(code, str) else None


class _Concepts:
    """A `concept` list: its items are concepts (counted for their JSON paths)."""

    def __init__(self, path: str, owner: _Concept | None):
        self.path, self.owner, self.count = path, owner, 0

    def add(self, value):
        raise MalformedCodeSystem(f"{self.path}[{self.count}]", "a concept must be an object")


def _finished(concept: _Concept, parent_code: str) -> Iterator[ConceptRow]:
    if "concept" in concept.data:  # given, but not as a list
        raise MalformedCodeSystem(f"{concept.path}.concept", "must be a list")
    row = _row(concept.data, concept.path, parent_code)
    yield row
    for child in concept.waiting:
        yield from _finished(child, row.code)


class CodeSystemStream:
    """`rows()` yields every concept of the file; `header` is set once they are all read."""

    def __init__(self, handle):
        self._handle = handle
        self.header: CodeSystemHeader | None = None

    def _events(self):
        if ijson is not None:
            return ijson.parse(self._handle, use_float=True)
        return _events_of(json.load(self._handle))

    def rows(self) -> Iterator[ConceptRow]:
        top = _Map()
        stack: list = []
        try:
            for _prefix, event, value in self._events():
                yield from self._step(stack, top, event, value)
        except MalformedCodeSystem:
            raise
        except (*JSON_ERRORS, UnicodeDecodeError) as error:
            problem = " ".join(str(error).split()) or type(error).__name__
            raise MalformedCodeSystem("", f"not JSON ({problem})") from None
        if stack:
            raise MalformedCodeSystem("", "not JSON (the file ends inside a value)")
        if "concept" in top.data:
            raise MalformedCodeSystem("concept", "must be a list")
        self.header = read_header(top.data)

    def _step(self, stack: list, top: _Map, event: str, value):
        current = stack[-1] if stack else None
        if event == "start_map":
            if current is None:
                if top.key is not None or top.data:
                    raise MalformedCodeSystem("", "not a single JSON object")
                stack.append(top)
                top.key = ""
            elif isinstance(current, _Concepts):
                current.count += 1
                stack.append(_Concept(f"{current.path}[{current.count - 1}]", current.owner))
            else:
                stack.append(_Map())
        elif event == "map_key":
            current.key = value
        elif event == "start_array":
            if current is None:
                raise MalformedCodeSystem("resourceType", "must be CodeSystem")
            if current is top and top.key == "concept":
                stack.append(_Concepts("concept", None))
            elif isinstance(current, _Concept) and current.key == "concept":
                stack.append(_Concepts(f"{current.path}.concept", current))
            else:
                stack.append(_List())
        elif event == "end_map":
            done = stack.pop()
            if isinstance(done, _Concept):
                parent = done.parent
                if parent is None:
                    yield from _finished(done, "")
                elif parent.code() is not None:
                    yield from _finished(done, parent.code())
                else:
                    parent.waiting.append(done)
            elif done is not top:
                stack[-1].add(done.data)
        elif event == "end_array":
            done = stack.pop()
            if not isinstance(done, _Concepts):
                stack[-1].add(done.data)
        elif current is None:
            raise MalformedCodeSystem("resourceType", "must be CodeSystem")
        else:
            current.add(value)


def _events_of(value, prefix: str = ""):
    """ijson.parse's events for an already-loaded value."""
    if isinstance(value, dict):
        yield prefix, "start_map", None
        for key, item in value.items():
            yield prefix, "map_key", key
            yield from _events_of(item, f"{prefix}.{key}" if prefix else key)
        yield prefix, "end_map", None
    elif isinstance(value, list):
        yield prefix, "start_array", None
        for item in value:
            yield from _events_of(item, f"{prefix}.item")
        yield prefix, "end_array", None
    elif value is None:
        yield prefix, "null", None
    elif isinstance(value, bool):
        yield prefix, "boolean", value
    elif isinstance(value, str):
        yield prefix, "string", value
    else:
        yield prefix, "number", value
