"""Checks of raw request input shared by the middleware, the API parser and the views:
control characters (PostgreSQL refuses NUL in text, and none of them belongs in a form)
and JSON nesting depth (a deep document exhausts Python's stack)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# C0 control characters except tab, line feed and carriage return, which text areas send.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_JSON_DEPTH = 32


class TooDeeplyNested(ValueError):
    """A JSON document nested deeper than MAX_JSON_DEPTH."""


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str) -> str:
    """The text with control characters taken out: for search boxes called directly."""
    return CONTROL_CHARACTERS.sub("", text)


def field_label(name: str) -> str:
    """A parameter's name fit to show back (a name may itself hold control characters)."""
    return without_control_characters(name) or "?"


def json_strings(value, path: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every (dotted field path, string) in a parsed JSON value, keys included; raises
    TooDeeplyNested past MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise TooDeeplyNested(path)
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, str(key)
            yield from json_strings(item, inner, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_strings(item, f"{path}.{index}" if path else str(index), depth + 1)


def check_json_depth(value) -> None:
    """Raise TooDeeplyNested for a value nested deeper than MAX_JSON_DEPTH."""
    for _item in json_strings(value):
        pass
