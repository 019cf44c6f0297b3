"""The public request form: /help/<lang>/request/.

A submission is stored first, as an inbound receipt, and becomes a ticket
with the channel `web_form` from what was stored (``connectors/webform``),
its sender a contact found or made by the email identity, like mail: a
ticket write that fails leaves the receipt for the sweeper, nothing is lost.
Matching articles are suggested while the customer types the subject
(htmx, debounced; the form works the same without JavaScript).

Spam is stopped without outside services: a honeypot field people never
see, a signed timestamp (a form sent sooner than TISKI_WEB_FORM_MIN_SECONDS
after it was shown was not typed by a person) and a cap per IP address and
per email address an hour (TISKI_WEB_FORM_PER_HOUR).
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tiski.connectors.webform import intake as webform_intake
from tiski.core import csp
from tiski.knowledge import actions as knowledge_actions
from tiski.knowledge import search
from tiski.knowledge.models import HelpCentreSettings
from tiski.tickets import custom_fields
from tiski.tickets.field_inputs import custom_field_name, custom_form_field
from tiski.tickets.models import TicketType

from . import seo
from .branding import brand
from .views import in_language, page, public

log = logging.getLogger(__name__)

TIMESTAMP_SALT = "tiski.portal.webform"
SENT_SALT = "tiski.portal.webform.sent"
MAX_FILES = 5
MAX_AGE_SECONDS = 24 * 3600
SUGGESTIONS = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class RequestForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=120)
    email = forms.EmailField(label=gettext_lazy("Your email address"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The honeypot: hidden from people by the stylesheet and from screen
    # readers by aria-hidden; a bot that fills every field fills it.
    website = forms.CharField(required=False, label=gettext_lazy("Leave this empty"))
    started = forms.CharField(widget=forms.HiddenInput)
    # The ticket type chosen above the form (its slug); decides the custom fields.
    type = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ticket_type: TicketType | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["subject"].widget.attrs.update({"autocomplete": "off"})
        self.ticket_type = ticket_type
        # The type's fields shown to customers, after the description.
        self.custom = custom_fields.fields_for(
            ticket_type.pk if ticket_type else None, customer=True
        )
        for field in self.custom:
            self.fields[custom_field_name(field)] = custom_form_field(
                field, required=field.required_in_form
            )

    def clean(self) -> dict:
        data = super().clean()
        # The same validation as every other path, field by field for the form.
        values: dict[str, str] = {}
        for field in self.custom:
            name = custom_field_name(field)
            if name not in data:
                continue
            try:
                values[field.key] = custom_fields.clean_value(field, data[name])
            except forms.ValidationError as error:
                self.add_error(name, error)
        data["fields"] = {key: value for key, value in values.items() if value}
        return data

    def clean_started(self) -> float:
        try:
            return float(
                signing.TimestampSigner(salt=TIMESTAMP_SALT).unsign(
                    self.cleaned_data["started"], max_age=MAX_AGE_SECONDS
                )
            )
        except (signing.BadSignature, ValueError) as error:
            raise forms.ValidationError(_("The form has expired. Please send it again.")) from error


def _stamp() -> str:
    import time

    return signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(time.time()))


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _over_limit(*keys: str) -> bool:
    """Count this submission against each key; True when any is over the hourly cap."""
    limit = settings.TISKI_WEB_FORM_PER_HOUR
    over = False
    for key in keys:
        name = f"tiski.webform.{key}"
        cache.add(name, 0, 3600)
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, 3600)
            count = 1
        over = over or count > limit
    return over


def _files(request: HttpRequest) -> tuple[list[tuple[str, bytes]], str]:
    files = request.FILES.getlist("attachments")
    if len(files) > MAX_FILES:
        return [], _("At most %(count)d files.") % {"count": MAX_FILES}
    if sum(f.size or 0 for f in files) > settings.MAX_UPLOAD_BYTES:
        return [], _("The files are too large together.")
    return [(f.name or "file", f.read()) for f in files], ""


def chosen_type(slug: str) -> TicketType | None:
    return TicketType.objects.filter(active=True, slug=slug).first() if slug else None


@in_language
def request_form(request: HttpRequest, lang: str) -> HttpResponse:
    return _request_page(request, lang, embed=False)


# A frame on another site gets no cookies (SameSite), so no CSRF token: the
# form is anonymous and guarded by the signed timestamp, the honeypot and the
# rate limits instead. Framing is allowed to the admin's listed sites only.
@csrf_exempt
@xframe_options_exempt
@in_language
def request_embed(request: HttpRequest, lang: str) -> HttpResponse:
    origins = HelpCentreSettings.load().embed_origin_list()
    if not origins:
        raise Http404
    csp.allow_framing(request, origins)
    return _request_page(request, lang, embed=True)


@xframe_options_exempt
@in_language
@require_GET
def sent_embed(request: HttpRequest, lang: str) -> HttpResponse:
    """The thank-you page inside the frame; the number travels signed in the URL
    (the frame has no session)."""
    origins = HelpCentreSettings.load().embed_origin_list()
    if not origins:
        raise Http404
    csp.allow_framing(request, origins)
    try:
        number = signing.loads(request.GET.get("n", ""), salt=SENT_SALT, max_age=3600)
    except signing.BadSignature:
        number = None
    meta = seo.PageMeta(
        title=_("Request sent") + f" · {brand(request).name}",
        description="",
        canonical=seo.absolute(request, reverse("portal:request", args=[lang])),
    )
    return page(request, lang, "portal/sent.html", meta, number=number, noindex=True, embed=True)


def _request_page(request: HttpRequest, lang: str, *, embed: bool) -> HttpResponse:
    import time

    ticket_type = chosen_type(request.POST.get("type") or request.GET.get("type", ""))
    form = RequestForm(
        request.POST or None,
        initial={"started": _stamp(), "type": ticket_type.slug if ticket_type else ""},
        ticket_type=ticket_type,
    )
    error = ""
    status = 200
    if request.method == "POST":
        if request.POST.get("website"):
            # A bot: refused without a ticket, in words a person would understand.
            log.info("web form honeypot filled from %s", _client_ip(request))
            error, status = _("Your request could not be sent."), 400
        elif form.is_valid():
            data = form.cleaned_data
            if time.time() - data["started"] < settings.TISKI_WEB_FORM_MIN_SECONDS:
                error, status = _("That was quick! Please check the form and send it again."), 400
                form = RequestForm(request.POST.copy(), ticket_type=ticket_type)
                form.data["started"] = _stamp()
            elif _over_limit(f"ip:{_client_ip(request)}", f"email:{data['email'].lower()}"):
                error, status = _("Too many requests. Please try again in an hour."), 429
            else:
                files, error = _files(request)
                if not error:
                    # Stored before anything else; the ticket is made from what was stored.
                    ticket = webform_intake.submit(
                        {
                            **data,
                            "type": ticket_type.slug if ticket_type else "",
                            # A brand's form marks its tickets: seen and searched in the desk.
                            "tags": [tag] if (tag := brand(request).tag) else [],
                        },
                        files,
                        lang=lang,
                        ip=_client_ip(request),
                    )
                    number = ticket.number if ticket else None
                    if embed:
                        signed = signing.dumps(number, salt=SENT_SALT)
                        return redirect(
                            reverse("portal:request-sent-embed", args=[lang]) + f"?n={signed}"
                        )
                    request.session["tiski_webform_ticket"] = number
                    return redirect("portal:request-sent", lang)
                status = 400
        else:
            status = 400
    meta = seo.PageMeta(
        title=_("Send us a request") + f" · {brand(request).name}",
        description=_("Send a request to our customer service."),
        canonical=seo.absolute(request, reverse("portal:request", args=[lang])),
        alternates=[
            (code, seo.absolute(request, reverse("portal:request", args=[code])))
            for code in ("en", "fi")
        ],
    )
    return page(
        request,
        lang,
        "portal/request.html",
        meta,
        status=status,
        form=form,
        error=error,
        types=TicketType.objects.filter(active=True),
        ticket_type=ticket_type,
        embed=embed,
        noindex=embed,
    )


@in_language
@require_GET
def suggest(request: HttpRequest, lang: str) -> HttpResponse:
    """Articles matching what the customer has typed so far (an htmx fragment)."""
    text = request.GET.get("subject", "")[:200]
    ids = brand(request).category_ids
    hits = search.suggest(text, lang, limit=SUGGESTIONS, categories=ids) if text.strip() else []
    return render(request, "portal/_suggestions.html", {"hits": hits, "lang": lang})


@in_language
@require_GET
def sent(request: HttpRequest, lang: str) -> HttpResponse:
    meta = seo.PageMeta(
        title=_("Request sent") + f" · {brand(request).name}",
        description="",
        canonical=seo.absolute(request, reverse("portal:request", args=[lang])),
    )
    number = request.session.get("tiski_webform_ticket")
    return page(request, lang, "portal/sent.html", meta, number=number, noindex=True)


# Counting "this solved it" guards nothing a forged post could harm, and
# inside another site's frame there is no CSRF cookie to check.
@csrf_exempt
@in_language
@require_POST
def solved(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    """ "This solved it" under a suggestion: counted on the article, no ticket made."""
    found = public(request, lang).filter(slug=slug).first()
    if found is None:
        raise Http404
    knowledge_actions.record_deflection(found.article_id)
    return render(request, "portal/_solved.html", {"lang": lang})
