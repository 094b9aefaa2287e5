"""Text written now and read later, by people with different languages (a CSM's console
notice, a merchant's timeline entry): stored as its catalogue message (the English msgid,
marked with `gettext_noop`) and its values, and translated when it is shown.

A value that is itself a catalogue string (a stage's label, a segment's) is stored as
``{"msgid": "Store setup"}`` and translated when shown too; names, emails, numbers and ISO
dates are stored as they are. Rows written before (message empty) show their stored text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext


def stored_params(**values: Any) -> dict[str, Any]:
    """The values of a message as JSON: a lazy catalogue string (`gettext_lazy`, a choice's
    label) keeps its msgid, whatever language is active while it is written."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Promise):
            with translation.override(None):
                value = {"msgid": str(value)}
        params[name] = value
    return params


def shown(message: str, params: Mapping[str, Any] | None = None) -> str:
    """A stored message in the active language, its values put back in."""
    if not params:
        return gettext(message)
    values = {
        name: gettext(value["msgid"]) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return gettext(message) % values
