"""Mail the desk sends on its own behalf (report subscriptions, notification digests).

It goes through the desk's first active mailbox, like replies, so it leaves
from an address customers and agents already know; with no mailbox, through
Django's mail backend. The mailbox and its sender live in the channels'
floor, so both are looked up by name: this ground-floor module imports none
of them.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string


def send(email: EmailMultiAlternatives) -> None:
    mailbox = apps.get_model("comms", "Mailbox").objects.filter(active=True).order_by("pk").first()
    if mailbox is None:
        email.send()
        return
    if mailbox.address:
        email.from_email = mailbox.address
    import_string(settings.TISKI_SYSTEM_MAIL_DELIVER)(mailbox, email)
