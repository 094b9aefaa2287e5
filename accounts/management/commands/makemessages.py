"""`makemessages` that also extracts messages with plural forms marked for later
translation (`core.stored_text.plural_noop`, the plural counterpart of `gettext_noop`), as
Django documents for extra xgettext options."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=plural_noop:1,2"]
