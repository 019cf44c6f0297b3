"""The demo's custom ticket fields: an order number on every ticket type, and
the product group complaints must have before they are solved.

Values are chosen from the ticket's own story (its order number, its
product), never from the demo's random stream, so adding fields leaves the
rest of the demo exactly as it was.
"""

from __future__ import annotations

import zlib

from tiski.tickets.models import FieldKind, TicketField, TicketType

ORDER_NUMBER = "order_number"
PRODUCT_GROUP = "product_group"
# Product name -> its group in the demo's shop.
GROUP_OF = {
    "Papumylly Aroma 12": "kahvinkeittimet",
    "Kahvikulta Classic 10": "kahvinkeittimet",
    "Kahvikulta Duo": "kahvinkeittimet",
    "Moka Rapido 300": "kahvinkeittimet",
    "Papumylly Barista Pro": "espressokeittimet",
    "Papumylly Automatica X5": "kahviautomaatit",
}
OPTIONS = [
    {"value": "kahvinkeittimet", "label_fi": "Kahvinkeittimet", "label_en": "Coffee makers"},
    {
        "value": "espressokeittimet",
        "label_fi": "Espressokeittimet",
        "label_en": "Espresso machines",
    },
    {"value": "kahviautomaatit", "label_fi": "Kahviautomaatit", "label_en": "Coffee machines"},
    {"value": "varaosat", "label_fi": "Varaosat ja tarvikkeet", "label_en": "Spare parts"},
]


def make_ticket_fields() -> None:
    """The two fields, as an admin would add them in Settings → Ticket fields."""
    TicketField.objects.create(
        key=ORDER_NUMBER,
        label_fi="Tilausnumero",
        label_en="Order number",
        kind=FieldKind.TEXT,
        customer_visible=True,
        position=0,
    )
    group = TicketField.objects.create(
        key=PRODUCT_GROUP,
        label_fi="Tuoteryhmä",
        label_en="Product group",
        kind=FieldKind.CHOICE,
        options=OPTIONS,
        all_types=False,
        required_on_solve=True,
        customer_visible=True,
        required_in_form=True,
        position=1,
    )
    group.ticket_types.set(TicketType.objects.filter(slug="complaint"))


def values_for(type_slug: str, story: str, values: dict[str, str]) -> dict[str, str]:
    """The fields a ticket of this story carries: its order number when the
    customer gave one, a complaint's product group."""
    found: dict[str, str] = {}
    if "{order}" in story:
        found[ORDER_NUMBER] = values["order"]
    if type_slug == "complaint":
        product = values["product"]
        if product in GROUP_OF and "{product}" in story:
            found[PRODUCT_GROUP] = GROUP_OF[product]
        else:  # the story names no machine: a part or an accessory
            spread = zlib.crc32(values["order"].encode()) % len(OPTIONS)
            found[PRODUCT_GROUP] = OPTIONS[spread]["value"]
    return found
