"""The API's JSON parser: refuses, with a 400 problem, what json.loads would take but nothing
after it can hold.

- Nesting deeper than MAX_DEPTH. No request of the API nests more than four levels; a body of
  2 KB nested 1,000 deep made json.loads (and every recursive walk after it) run out of stack:
  a 500. The depth is measured on the raw text, before anything is built.
- Text that is not Unicode: JSON may escape a lone surrogate ("\\ud800"), which Python decodes
  into a str that no UTF-8 encoder, database or log line accepts.
"""

import itertools
import json
import re

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.parsers import get_encoding

MAX_DEPTH = 64

# A JSON string (escapes included) or anything that is not a bracket: what depth ignores.
_NOT_A_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\[\]{}"]+', re.DOTALL)
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1, '"': 0}


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not
    count). An unterminated string counts its brackets: json.loads refuses that text anyway."""
    brackets = _NOT_A_BRACKET.sub("", text)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _not_unicode(value, path: str = ""):
    """The dotted path of the first string (key or value) that is not valid Unicode, or None."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return where or "non_field_errors"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    return where or "non_field_errors"
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{n}]", child) for n, child in enumerate(item))
    return None


class JSONParser(DRFJSONParser):
    """DRF's JSON parser, within MAX_DEPTH levels of nesting and valid Unicode."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as error:
            raise ParseError(f"the body is not {encoding} text: {error.reason}") from None
        depth = nesting_depth(text)
        if depth > MAX_DEPTH:
            raise ParseError(
                f"the body is nested {depth} levels deep; this API accepts at most {MAX_DEPTH}"
            )
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if field := _not_unicode(data):
            raise ValidationError(
                {field: ["not valid Unicode text (a lone surrogate such as \\ud800)"]}
            )
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")
