"""The help centre's name, logo and colour, read once per request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from tiski.core.desk import desk_name
from tiski.knowledge.models import HelpCentreSettings

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    footer: str
    logo_url: str


def brand() -> Brand:
    row = HelpCentreSettings.load()
    colour = row.colour if _COLOUR.fullmatch(row.colour or "") else "#1f5fa8"
    return Brand(
        name=row.name or desk_name(),
        colour=colour,
        footer=row.footer,
        logo_url=reverse("portal:logo") + f"?v={row.logo.name}" if row.logo else "",
    )
