"""Messages written in French in code that must not import Flask (domain
modules, models): marked here, translated by the screen that shows them.

`N_` marks a label for the catalogue (scripts/translations.sh extracts it);
`TranslatableError` carries a French msgid and its parameters, so a view shows
`gettext(error.msgid, **error.params)` in the user's language."""


def N_(message):
    """Marks a French label for the catalogue; returns it unchanged."""
    return message


class TranslatableError(ValueError):
    """A refusal in French: `msgid` is in the catalogue, `params` fill it."""

    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)

    def translate(self, gettext) -> str:
        return gettext(self.msgid, **self.params) if self.params else gettext(self.msgid)
