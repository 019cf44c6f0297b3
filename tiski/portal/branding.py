"""The help centre's name, logo and colour, read once per request.

On a brand's own host name they are the brand's (knowledge.models.Brand);
elsewhere the one HelpCentreSettings row's, as before brands existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

from tiski.core.desk import desk_name
from tiski.knowledge.models import HelpCentreSettings

from .hosts import current_brand

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#1f5fa8"


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    footer: str
    logo_url: str
    footer_links: list[tuple[str, str]] = field(default_factory=list)
    # The categories shown; None: every category (the desk's own help centre).
    category_ids: frozenset[int] | None = None
    tag: str = ""
    # The language a brand's bare address opens; the desk's own root reads the desk's.
    language: str = "fi"


def _colour(value: str) -> str:
    return value if _COLOUR.fullmatch(value or "") else DEFAULT_COLOUR


def brand(request: HttpRequest) -> Brand:
    found: Brand | None = getattr(request, "_tiski_branding", None)
    if found is None:
        found = _read(request)
        request._tiski_branding = found  # type: ignore[attr-defined]
    return found


def _read(request: HttpRequest) -> Brand:
    row = current_brand(request)
    logo_url = reverse("portal:logo")
    if row is not None:
        ids = frozenset(row.categories.values_list("pk", flat=True))
        return Brand(
            name=row.name,
            colour=_colour(row.colour),
            footer=row.footer,
            logo_url=f"{logo_url}?v={row.logo.name}" if row.logo else "",
            footer_links=row.footer_link_list(),
            category_ids=ids or None,
            tag=row.tag,
            language=row.language,
        )
    settings_row = HelpCentreSettings.load()
    return Brand(
        name=settings_row.name or desk_name(),
        colour=_colour(settings_row.colour),
        footer=settings_row.footer,
        logo_url=f"{logo_url}?v={settings_row.logo.name}" if settings_row.logo else "",
    )
