"""The survey mail: the question, one link per score, a comment link, unsubscribe.

Written in the invitation's language and handed to the outbox like every
other automatic mail, so it gets the loop rules, the hourly cap, the
mailbox's signature and a row an agent can inspect.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from tiski.core.placeholders import placeholders, render, ticket_values

from .links import base_url, survey_links
from .models import SurveyInvitation, SurveyKind, SurveySettings


@dataclass(frozen=True)
class SurveyMail:
    subject: str
    text: str
    html: str


def question(invitation: SurveyInvitation, row: SurveySettings | None = None) -> str:
    """The survey's question in the invitation's language, placeholders filled."""
    row = row or SurveySettings.load()
    template = row.text(f"{invitation.kind}_question", invitation.language)
    return _fill(template, invitation)


def _fill(template: str, invitation: SurveyInvitation) -> str:
    if invitation.ticket is None:
        return render(template, {})
    values = ticket_values(invitation.ticket, base_url(), placeholders(template))
    return render(template, values)


def scale_hint(kind: str) -> str:
    if kind == SurveyKind.NPS:
        return _("0 = not at all likely, 10 = extremely likely")
    return _("1 = very dissatisfied, 5 = very satisfied")


def compose(
    invitation: SurveyInvitation,
    row: SurveySettings | None = None,
    path_start: str | None = None,
) -> SurveyMail:
    """The mail; ``row``: the survey settings, when the caller has read them;
    ``path_start``: the links' `page_path_start`, when a batch reversed it."""
    row = row or SurveySettings.load()
    with translation.override(invitation.language):
        subject = _fill(row.text(f"{invitation.kind}_subject", invitation.language), invitation)
        asked = question(invitation, row)
        urls = survey_links(invitation, path_start)
        links = list(urls.rate.items())
        comment_url = urls.page
        unsubscribe_url = urls.unsubscribe
        hint = scale_hint(invitation.kind)
        click = _("Click a number to answer; one click is enough.")
        more = _("You can also tell us more in a few words:")
        write = _("Write a comment")
        opt_out = _("Do not want these surveys?")
        unsubscribe = _("Unsubscribe")
        text = "\n".join(
            [
                asked,
                "",
                f"{click} ({hint})",
                "",
                *(f"{score}: {url}" for score, url in links),
                "",
                f"{more} {comment_url}",
                "",
                f"{opt_out} {unsubscribe}: {unsubscribe_url}",
            ]
        )
        # Mail clients ignore stylesheets and strip classes: the buttons carry
        # their looks inline (this HTML is mail, not a page under our CSP).
        buttons = format_html_join(
            " ",
            '<a href="{}" style="display:inline-block;min-width:2.2em;padding:.5em .3em;'
            "margin:.15em;border:1px solid #2f5d8a;border-radius:6px;color:#2f5d8a;"
            'text-align:center;text-decoration:none;font-weight:bold">{}</a>',
            ((url, score) for score, url in links),
        )
        html = format_html(
            "<p>{}</p><p>{} <br><small>{}</small></p><p>{}</p>"
            '<p>{} <a href="{}">{}</a></p><p><small>{} <a href="{}">{}</a></small></p>',
            asked,
            click,
            hint,
            buttons,
            more,
            comment_url,
            write,
            opt_out,
            unsubscribe_url,
            unsubscribe,
        )
    return SurveyMail(subject=subject, text=text, html=str(html))
