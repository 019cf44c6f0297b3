from django import template
from django.urls import NoReverseMatch, reverse

from tiski.reports.access import can_see_team_reports
from tiski.reports.metrics import REPORTS

register = template.Library()


@register.simple_tag(takes_context=True)
def report_links(context) -> list[dict]:
    """The report navigation: every registered report the user may open."""
    request = context.get("request")
    current = getattr(getattr(request, "resolver_match", None), "url_name", "")
    user = getattr(request, "user", None)
    links = []
    for name, spec in REPORTS.items():
        if name == "nps" and not can_see_team_reports(user):
            continue
        try:
            url = reverse(f"reports:{name}")
        except NoReverseMatch:
            continue
        links.append({"name": name, "title": spec.title, "url": url, "current": name == current})
    return links
