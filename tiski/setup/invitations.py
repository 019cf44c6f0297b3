"""Inviting a colleague: an account without a password, and a mail with a
signed link to choose one.

The link is Django's password-reset token: it is signed with SECRET_KEY,
expires after PASSWORD_RESET_TIMEOUT, and stops working once a password is
set (the token covers the password hash).
"""

from __future__ import annotations

import smtplib
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from tiski.accounts.models import User
from tiski.connectors.email import outbound
from tiski.connectors.models import Mailbox
from tiski.connectors.transport import TransportError
from tiski.core import desk


def create_invited_user(*, email: str, name: str, role: str, language: str, teams: list) -> User:
    user = User.objects.create_user(email=email, password=None, name=name, role=role)
    user.language = language
    user.save(update_fields=["language"])
    user.teams.set(teams)
    return user


def is_invited(user: User) -> bool:
    """Invited and not yet joined: no password chosen."""
    return not user.has_usable_password()


def invitation_link(request: HttpRequest, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("setup:invite-accept", args=[uid, default_token_generator.make_token(user)])
    base = getattr(settings, "TISKI_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _valid_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def invitation_mail(user: User, link: str, inviter: User) -> EmailMultiAlternatives:
    name = desk.desk_name()
    with translation.override(user.language or desk.default_language()):
        subject = _("You are invited to %(desk)s") % {"desk": name}
        body = _(
            "Hello %(name)s,\n\n"
            "%(inviter)s has invited you to work in %(desk)s, the customer service desk.\n"
            "Choose your password here (the link works for %(days)s days):\n\n"
            "%(link)s\n\n"
            "Your user name is %(email)s.\n"
        ) % {
            "name": user.name or user.email,
            "inviter": inviter.name or inviter.email,
            "desk": name,
            "days": _valid_days(),
            "link": link,
            "email": user.email,
        }
    mailbox = Mailbox.objects.filter(active=True).order_by("pk").first()
    sender = formataddr((name, mailbox.address)) if mailbox else settings.DEFAULT_FROM_EMAIL
    return EmailMultiAlternatives(
        subject,
        body,
        from_email=sender,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_invitation(request: HttpRequest, user: User, inviter: User) -> str:
    """Send the mail; '' when it went, else why not (in words for the admin).

    Through the desk's first active mailbox when there is one, so the mail
    comes from an address colleagues know; otherwise the server's EMAIL_BACKEND.
    """
    email = invitation_mail(user, invitation_link(request, user), inviter)
    mailbox = Mailbox.objects.filter(active=True).order_by("pk").first()
    try:
        if mailbox is not None:
            outbound.deliver(mailbox, email)
        else:
            email.send()
    except TransportError as exc:
        return str(exc)
    except (smtplib.SMTPException, OSError) as exc:
        return str(exc) or exc.__class__.__name__
    return ""
