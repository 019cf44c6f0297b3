"""An optional password for the customer portal, beside the emailed sign-in link.

A signed-in customer may set one (Django's password validators, stored as
Django's hash in `PortalPassword`); the sign-in page then also takes the
email address and the password. Failed attempts are counted per address
and per IP address like the links (FAILURES_PER_HOUR each), and over the
limit even the right password is refused until the hour is out. A forgotten
password needs no reset flow: the emailed link signs in, and the password
can then be changed. An admin can turn passwords off in Settings -> Help
centre; then only links sign in and the password page answers 404.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password as django_validate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tiski.customers.models import Contact, Identity, IdentityKind
from tiski.knowledge.models import HelpCentreSettings

from .models import PortalPassword

FAILURES_PER_HOUR = 5
MAX_LENGTH = 256  # hashing a megabyte "password" is work an attacker should not get for free


def enabled() -> bool:
    return HelpCentreSettings.load().portal_passwords


def _failure_key(kind: str, value: str) -> str:
    return f"tiski.portal.password-failures.{kind}:{value}"


def _over_limit(keys: list[str]) -> bool:
    return any((cache.get(key) or 0) >= FAILURES_PER_HOUR for key in keys)


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        cache.add(key, 0, 3600)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, 3600)


class Refused(Exception):
    """A password sign-in that did not work; the message is for the customer."""

    def __init__(self, message: str, *, limited: bool = False) -> None:
        super().__init__(message)
        self.limited = limited


def authenticate(address: str, password: str, ip: str) -> Contact:
    """The contact whose address and password these are, or Refused.

    The answer is the same for an unknown address, one without a password
    and a wrong password, and each costs one hash, so nobody learns which
    addresses have a password.
    """
    keys = [_failure_key("ip", ip), _failure_key("email", address)]
    if _over_limit(keys):
        raise Refused(_("Too many failed attempts. Please try again in an hour."), limited=True)
    row = (
        PortalPassword.objects.filter(
            contact__identities__kind=IdentityKind.EMAIL,
            contact__identities__value=address,
        )
        .select_related("contact")
        .first()
    )
    if password and len(password) <= MAX_LENGTH:
        if row is not None and check_password(password, row.password):
            return row.contact
        if row is None:
            make_password(password)  # the same time as a wrong password
    _count_failure(keys)
    raise Refused(_("The email address or the password is wrong."))


def _check(contact: Contact, password: str) -> None:
    """Django's validators, with the contact's name and address as what not to resemble."""
    address = (
        Identity.objects.filter(contact=contact, kind=IdentityKind.EMAIL)
        .values_list("value", flat=True)
        .first()
    )
    # An unsaved desk user only carries the attributes the similarity check reads.
    person = get_user_model()(email=address or "", name=contact.name or "")
    if len(password) > MAX_LENGTH:
        raise ValidationError(_("The password is too long."))
    django_validate(password, user=person)


def stamp(contact: Contact) -> str:
    """A keyed digest of the contact's password hash ("" without one), kept in the
    session: it changes whenever the password does, and reveals nothing of it."""
    try:
        row = contact.portal_password  # type: ignore[attr-defined]
    except PortalPassword.DoesNotExist:
        return ""
    return salted_hmac("tiski.portal.password-stamp", row.password).hexdigest()


def set_password(contact: Contact, password: str) -> None:
    """Validate (ValidationError) and store the password's hash."""
    _check(contact, password)
    PortalPassword.objects.update_or_create(
        contact=contact,
        defaults={"password": make_password(password), "changed_at": timezone.now()},
    )
