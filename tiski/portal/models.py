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
