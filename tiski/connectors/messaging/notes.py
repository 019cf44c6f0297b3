"""What Tiski writes into a customer's message where the channel sent no text.

A reaction, a long SMS with a part that never came, a message type Tiski
cannot show: the message's text is stored once, so these words are written
in the desk's default language (the language its agents read), not in
whatever language the webhook's request happened to run in.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from tiski.core import desk


def _in_desk_language(make) -> str:  # type: ignore[no-untyped-def]
    with translation.override(desk.default_language()):
        return str(make())


def reaction(emoji: str) -> str:
    """A reaction to one of our messages (or its removal, with no emoji)."""
    if not emoji:
        return _in_desk_language(lambda: _("(reaction removed)"))
    return _in_desk_language(lambda: _("%(emoji)s (reaction)") % {"emoji": emoji})


def part_missing() -> str:
    """Where a part of a long SMS never arrived."""
    return _in_desk_language(lambda: _("[part missing]"))


def cannot_show(channel: str, kind: str) -> str:
    """A message of a type Tiski does not know how to show."""
    return _in_desk_language(
        lambda: _("[A %(channel)s message of type %(kind)s that Tiski cannot show]")
        % {"channel": channel, "kind": kind or "?"}
    )
