"""Template helpers of the phone channel: the screen-pop container, tel: links."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tiski.core.config_cache import kept

from ..models import PhoneLine
from ..numbers import display, to_e164

register = template.Library()


@register.simple_tag(takes_context=True)
def phone_pop_container(context) -> SafeString:
    """The (hidden) box the screen pop fills; says whether click-to-call is on."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return SafeString("")
    click_to_call = kept(
        "phone:click-to-call",
        lambda: PhoneLine.objects.filter(active=True).exclude(click_to_call_url="").exists(),
    )
    return format_html(
        '<div id="phone-pop" class="phone-pop-box" hidden aria-live="polite" '
        'data-dial-url="{}" data-click-to-call="{}" data-css="{}" '
        'data-calling-label="{}" data-failed-label="{}"></div>',
        reverse("phone:dial"),
        "1" if click_to_call else "",
        static("phone/phone.css"),
        _("Calling…"),
        _("The call could not be started."),
    )


@register.simple_tag
def tel_link(value: str) -> SafeString:
    """A number as a tel: link in E.164, shown readably."""
    e164 = to_e164(value or "")
    if not e164:
        return format_html("{}", value)
    return format_html('<a href="tel:{}" class="tel">☎ {}</a>', e164, display(e164))


@register.filter
def call_duration(seconds: int | None) -> str:
    """182 -> "3 min 2 s"; the conversation shows it beside a call."""
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


@register.filter
def call_cause(cause: str) -> str:
    from ..services import cause_label

    return cause_label(cause)
