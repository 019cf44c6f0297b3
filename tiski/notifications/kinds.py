"""The kinds of notice an agent can get, and the ways they can get them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    RULE = "rule", _("Rule notices")
    ASSIGNED = "assigned", _("A ticket assigned to me")
    MENTION = "mention", _("I was mentioned")
    CUSTOMER_MESSAGE = "customer_message", _("A customer wrote on a ticket I follow")
    CHANGE = "change", _("A ticket I follow changed")
    ESCALATED = "escalated", _("A ticket was escalated to me")
    CHILDREN_SOLVED = "children_solved", _("All child tickets of my ticket are solved")


class Delivery(models.TextChoices):
    APP = "app", _("In the app")
    EMAIL = "email", _("In the app and by email")
    OFF = "off", _("Off")
