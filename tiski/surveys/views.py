"""The public survey pages under /survey/: no login, the link is the key.

Each page checks the signed link first (`links.check_token`); a refused
link gets a plain page saying only that the link does not work (or has
expired), never which part was wrong. Pages speak the invitation's
language, whatever the browser or a logged-in agent prefers.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tiski.core import desk

from . import answers
from .links import Refusal, check_token
from .mail import question, scale_hint
from .models import SurveyInvitation, SurveyKind, SurveySettings


class AnswerForm(forms.Form):
    score = forms.IntegerField(required=False)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=answers.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": answers.COMMENT_MAX}),
    )


def _refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    status = 410 if refusal.reason == "expired" else 403
    return render(
        request, "surveys/refused.html", {"expired": refusal.reason == "expired"}, status=status
    )


def _page(
    request: HttpRequest,
    invitation: SurveyInvitation,
    token: str,
    *,
    form: AnswerForm | None = None,
    saved: bool = False,
    closed: bool = False,
    status: int = 200,
) -> HttpResponse:
    row = SurveySettings.load()
    can_change = answers.can_change(invitation, now=timezone.now(), change_days=row.change_days)
    context = {
        "invitation": invitation,
        "token": token,
        "question": question(invitation, row),
        "hint": scale_hint(invitation.kind),
        "scale": list(invitation.scale),
        "nps": invitation.kind == SurveyKind.NPS,
        "form": form or AnswerForm(initial={"comment": invitation.comment}),
        "saved": saved,
        "closed": closed or not can_change,
        "desk_name": desk.desk_name(),
    }
    return render(request, "surveys/survey.html", context, status=status)


def _open(invitation_id: int, token: str) -> SurveyInvitation:
    return check_token(invitation_id, token)


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, invitation_id: int, token: str) -> HttpResponse:
    """The survey page: the scale, the comment box, and what was answered."""
    try:
        invitation = _open(invitation_id, token)
    except Refusal as refusal:
        return _refused(request, refusal)
    with translation.override(invitation.language):
        if request.method == "GET":
            return _page(request, invitation, token)
        form = AnswerForm(request.POST)
        if not form.is_valid() or (
            form.cleaned_data["score"] is not None
            and form.cleaned_data["score"] not in invitation.scale
        ):
            return _page(request, invitation, token, form=form, status=400)
        try:
            invitation = answers.record_answer(
                invitation,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except answers.Closed:
            return _page(request, invitation, token, closed=True, status=409)
        return render(
            request,
            "surveys/thanks.html",
            {"invitation": invitation, "token": token, "desk_name": desk.desk_name()},
        )


@never_cache
@require_http_methods(["GET"])
def rate(request: HttpRequest, invitation_id: int, token: str, score: int) -> HttpResponse:
    """One click from the mail: the score is stored, the page offers a comment."""
    try:
        invitation = _open(invitation_id, token)
    except Refusal as refusal:
        return _refused(request, refusal)
    with translation.override(invitation.language):
        if score not in invitation.scale:
            return _page(request, invitation, token, status=400)
        try:
            invitation = answers.record_answer(invitation, score=score)
        except answers.Closed:
            return _page(request, invitation, token, closed=True, status=409)
        return _page(request, invitation, token, saved=True)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, invitation_id: int, token: str) -> HttpResponse:
    """Stop all surveys to this contact; a button, so link checkers cannot click it."""
    try:
        invitation = _open(invitation_id, token)
    except Refusal as refusal:
        return _refused(request, refusal)
    with translation.override(invitation.language):
        done = request.method == "POST"
        if done:
            answers.opt_out(invitation)
        return render(
            request,
            "surveys/unsubscribe.html",
            {"invitation": invitation, "token": token, "done": done, "desk_name": desk.desk_name()},
        )
