"""Signed survey links: bound to one invitation, expiring, usable without login.

A link is ``/survey/<invitation id>/<token>/...``. The token signs the
invitation id together with its ticket and kind (django.core.signing with
a salt of our own), so it cannot be made up, cannot be moved to another
invitation or ticket, and its timestamp makes it expire after the days set
in Settings -> Surveys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from .models import SurveyInvitation, SurveySettings

SALT = "tiski.surveys.link"
# Used when TISKI_BASE_URL is unset (development): mails need absolute links.
FALLBACK_BASE_URL = "http://localhost:8000"


def _payload(invitation: SurveyInvitation) -> dict[str, object]:
    return {"i": invitation.pk, "t": invitation.ticket_id or 0, "k": invitation.kind}


def make_token(invitation: SurveyInvitation) -> str:
    return signing.dumps(_payload(invitation), salt=SALT, compress=False)


@dataclass(frozen=True)
class Refusal(Exception):
    """Why a link does not open a survey: "invalid" or "expired"."""

    reason: str


def check_token(
    invitation_id: int, token: str, *, max_age: timedelta | None = None
) -> SurveyInvitation:
    """The invitation a link stands for, or `Refusal`.

    Forged or altered tokens, tokens of another invitation or ticket, and
    tokens older than the setting are all refused; the page does not say
    which, except that an expired link says so.
    """
    if max_age is None:
        max_age = timedelta(days=SurveySettings.load().link_days)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise Refusal("expired") from exc
    except signing.BadSignature as exc:
        raise Refusal("invalid") from exc
    if not isinstance(data, dict) or data.get("i") != invitation_id:
        raise Refusal("invalid")
    invitation = (
        SurveyInvitation.objects.select_related("contact", "ticket")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or data != _payload(invitation):
        raise Refusal("invalid")
    return invitation


def base_url() -> str:
    return (getattr(settings, "TISKI_BASE_URL", "") or FALLBACK_BASE_URL).rstrip("/")


def survey_url(invitation: SurveyInvitation, name: str = "survey", **kwargs: object) -> str:
    """Absolute URL of one of the survey's pages (for mails)."""
    path = reverse(
        f"surveys:{name}",
        kwargs={"invitation_id": invitation.pk, "token": make_token(invitation), **kwargs},
    )
    return base_url() + path


@dataclass(frozen=True)
class SurveyLinks:
    """Every link a survey mail carries."""

    page: str  # the survey page (comment, another score)
    rate: dict[int, str]  # one click per score
    unsubscribe: str


def page_path_start() -> str:
    """The survey page's path up to the invitation id (``/survey/``), for
    `survey_links` of a batch of mails: reversed once, not once per mail."""
    return reverse("surveys:survey", kwargs={"invitation_id": 0, "token": "0"}).removesuffix("0/0/")


def survey_links(invitation: SurveyInvitation, path_start: str | None = None) -> SurveyLinks:
    """The links of `survey_url` for one mail, with one signature and one
    reverse instead of one each per link (a backlog pass sends thousands):
    the score and unsubscribe pages live under the page's own path.
    ``path_start``: `page_path_start()`, when a batch has reversed it."""
    if path_start is None:
        page = survey_url(invitation)
    else:
        # Quoted as `reverse` quotes a path argument (a token needs none).
        token = quote(make_token(invitation), safe=RFC3986_SUBDELIMS + "/~:@")
        page = f"{base_url()}{path_start}{invitation.pk}/{token}/"
    return SurveyLinks(
        page=page,
        rate={score: f"{page}rate/{score}/" for score in invitation.scale},
        unsubscribe=f"{page}unsubscribe/",
    )
