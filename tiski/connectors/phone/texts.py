"""Texts built from values only (no database): the callback SMS."""

from __future__ import annotations

from datetime import datetime

from tiski.calendars.hours import format_expected_reply


def callback_sms_text(
    template: str, due_at: datetime, *, language: str, tz: str, now: datetime
) -> str:
    """``template`` with ``%(when)s`` filled: "Soitamme ... viimeistään tänään klo 14.30.".

    The template comes translated into the caller's language; the time
    wording follows the same language, in the business calendar's zone.
    """
    when = format_expected_reply(due_at, language, tz, now=now)
    return template % {"when": when}
