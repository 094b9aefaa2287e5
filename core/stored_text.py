"""Text written now and read later, by people with different languages (a CSM's console
notice, a merchant's timeline entry, a task the platform made): stored as its catalogue
message (the English msgid, marked with `gettext_noop`) and its values, and translated when
it is shown.

A value that is itself a catalogue string (a stage's label, a segment's) is stored as
``{"msgid": "Store setup"}`` and translated when shown too; a value that is itself a stored
message with values (a task's title inside "Done: …") as ``{"msgid": …, "params": {…}}``;
names, emails, numbers and ISO dates are stored as they are. Rows written before (message
empty) show their stored text.

A message with plural forms ("in 1 day" / "in 7 days") is a `Plural`, marked with
`plural_noop` (makemessages extracts both forms: `accounts/management/commands/
makemessages.py` adds the keyword). It is stored as its singular msgid, and its values carry
``"_plural": {"msgid_plural": …, "number": "days"}``: the plural msgid and the name of the
value that picks the form, which `shown` hands to `ngettext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext

# The key, among a stored message's values, of its plural msgid and number's name.
PLURAL = "_plural"


@dataclass(frozen=True)
class Plural:
    """A catalogue message with plural forms: `number` names the value that picks one."""

    singular: str
    plural: str
    number: str


def plural_noop(singular: str, plural: str, number: str) -> Plural:
    """Mark a message with plural forms for the catalogue without translating it (the
    plural counterpart of `gettext_noop`)."""
    return Plural(singular, plural, number)


class Stored(NamedTuple):
    """What a row stores: the message (the singular msgid of a plural) and its values."""

    message: str
    params: dict[str, Any]

    def shown(self) -> str:
        return shown(self.message, self.params)


def stored_params(**values: Any) -> dict[str, Any]:
    """The values of a message as JSON: a lazy catalogue string (`gettext_lazy`, a choice's
    label) keeps its msgid, whatever language is active while it is written; a `Stored`
    message keeps its msgid and values."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Promise):
            with translation.override(None):
                value = {"msgid": str(value)}
        elif isinstance(value, Stored):
            value = {"msgid": value.message, "params": value.params}
        params[name] = value
    return params


def stored_message(message: str | Plural, **values: Any) -> Stored:
    """A message and its values, as a row stores them."""
    params = stored_params(**values)
    if isinstance(message, Plural):
        if not isinstance(params.get(message.number), int):
            raise ValueError(f"{message.singular!r} needs a whole number {message.number!r}")
        params[PLURAL] = {"msgid_plural": message.plural, "number": message.number}
        return Stored(message.singular, params)
    return Stored(message, params)


def _shown_value(value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        return shown(value["msgid"], value.get("params"))
    return value


def shown(message: str, params: Mapping[str, Any] | None = None) -> str:
    """A stored message in the active language, its values put back in."""
    if not params:
        return gettext(message)
    values = {name: _shown_value(value) for name, value in params.items() if name != PLURAL}
    plural = params.get(PLURAL)
    if plural:
        text = ngettext(message, plural["msgid_plural"], values[plural["number"]])
    else:
        text = gettext(message)
    return text % values
