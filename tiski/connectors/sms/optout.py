"""STOP / START: customers can stop SMS from the desk by texting a keyword.

Finnish, Swedish and English words, whole message only (a sentence that
merely contains "stop" is a message, not an opt-out).
"""

from __future__ import annotations

from django.utils import timezone

from .models import SmsOptOut

STOP_WORDS = frozenset({"STOP", "LOPETA", "STOPP", "UNSUBSCRIBE", "END", "CANCEL", "QUIT"})
START_WORDS = frozenset({"START", "ALOITA", "UNSTOP"})


def keyword(text: str) -> str:
    return text.strip().strip(".!").upper()


def opt_out(number: str, word: str = "") -> None:
    SmsOptOut.objects.update_or_create(
        number=number, defaults={"keyword": word[:20], "opted_out_at": timezone.now()}
    )


def opt_in(number: str) -> None:
    SmsOptOut.objects.filter(number=number).delete()


def opt_out_of(number: str) -> SmsOptOut | None:
    """The number's opt-out (when and with which word), or None."""
    return SmsOptOut.objects.filter(number=number).first()


def opted_out(number: str) -> bool:
    return SmsOptOut.objects.filter(number=number).exists()
