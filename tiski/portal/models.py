"""Sign-in links of the customer portal: single-use, expiring, stored hashed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PortalLink(models.Model):
    """One emailed sign-in link. Only the token's SHA-256 is kept: a database
    leak gives nobody a working link."""

    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="portal_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"portal link of contact {self.contact_id}"


class PortalPassword(models.Model):
    """A customer's own portal password, set by them once signed in (optional).

    Only Django's salted hash (PASSWORD_HASHERS) is kept, on its own row so
    the contact model, which every app reads, carries no secret.
    """

    contact = models.OneToOneField(
        "customers.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal_password",
    )
    password = models.CharField(max_length=128)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"portal password of contact {self.contact_id}"
