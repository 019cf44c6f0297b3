"""Side-panel cards: what other systems know of a ticket's customer, beside the ticket."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.core.secrets import EncryptedTextField


class CardKind(models.TextChoices):
    LINK = "link", _("Link")
    JSON = "json", _("Data (JSON)")


class SidePanelCard(models.Model):
    """A card on every ticket page, made from a URL template (`templating.py`).

    A link card is only a link; a JSON card's URL is fetched by the server
    (`fetching.py`) and its answer shown as key-value pairs.
    """

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(
        _("kind"), max_length=8, choices=CardKind.choices, default=CardKind.LINK
    )
    url_template = models.CharField(
        _("URL template"),
        max_length=1000,
        help_text=_(
            "Placeholders are replaced with the ticket's values, URL-encoded: "
            "{{requester.email}}, {{requester.phone}}, {{requester.name}}, {{requester.id}}, "
            "{{ticket.number}}, {{ticket.subject}}, {{organisation.name}}, {{organisation.id}}."
        ),
    )
    # Sent as the Authorization header of a JSON card's request; encrypted at rest.
    auth_header = EncryptedTextField(
        _("Authorization header"),
        blank=True,
        help_text=_('For JSON cards, e.g. "Bearer abc123". Stored encrypted. Empty: none.'),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("shown"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Part of the cache key: editing a card shows fresh answers at once.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("side-panel card")
        verbose_name_plural = _("side-panel cards")

    def __str__(self) -> str:
        return self.name
