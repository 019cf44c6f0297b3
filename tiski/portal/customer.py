"""The customer portal: "my requests" behind a sign-in link sent by email.

A customer types their address; if a contact owns it, a single-use link
valid for LINK_MINUTES is mailed (the page says the same either way, so
nobody learns which addresses are customers). The link signs the browser
in as that contact (the session holds the contact's id, never a desk user).
Every page reads tickets through `organisation.readable_requests`: the
contact's own, as requester, and their organisation's when it shares
requests, so one customer can never open another's ticket (404, the same
as a ticket that does not exist). Replies and "mark solved" go through the
ticket actions like a customer's email, so rules, SLA and notifications
behave the same; internal notes never show. A colleague answers as
themselves (the message's author), and only the requester marks a
request solved.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiski.customers.models import Contact, Identity, IdentityKind
from tiski.tickets import actions, custom_fields
from tiski.tickets.models import Channel, MessageKind, Status, Ticket, Via

from . import organisation, passwords, seo
from .branding import brand
from .models import PortalLink, PortalPassword
from .views import in_language, page

SESSION_KEY = "tiski_portal_contact"
STAMP_KEY = "tiski_portal_password_stamp"
LINK_MINUTES = 30
LINKS_PER_HOUR = 5
CUSTOMER_KINDS = (MessageKind.CUSTOMER, MessageKind.PUBLIC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _meta(request: HttpRequest, lang: str, title: str) -> seo.PageMeta:
    return seo.PageMeta(
        title=f"{title} · {brand(request).name}",
        description="",
        canonical=seo.absolute(request, reverse("portal:portal-login", args=[lang])),
    )


def _contact(request: HttpRequest) -> Contact | None:
    """The signed-in contact; None when nobody is, or when the password changed since.

    Like Django's session auth hash: a session remembers a stamp of the
    password it was opened under, so setting, changing or removing the
    password in one browser signs every other browser out.
    """
    contact_id = request.session.get(SESSION_KEY)
    if not contact_id:
        return None
    contact = (
        Contact.objects.select_related("organisation", "portal_password")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        return None
    if request.session.get(STAMP_KEY, "") != passwords.stamp(contact):
        request.session.pop(SESSION_KEY, None)
        return None
    return contact


def _limited(key: str) -> bool:
    name = f"tiski.portal.links.{key}"
    cache.add(name, 0, 3600)
    try:
        return cache.incr(name) > LINKS_PER_HOUR
    except ValueError:
        cache.set(name, 1, 3600)
        return False


def send_link(request: HttpRequest, contact: Contact, address: str, lang: str) -> None:
    token = secrets.token_urlsafe(32)
    PortalLink.objects.create(
        contact=contact,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(minutes=LINK_MINUTES),
    )
    url = request.build_absolute_uri(reverse("portal:portal-enter", args=[lang, token]))
    name = brand(request).name
    send_mail(
        _("Sign in to %(name)s") % {"name": name},
        _(
            "Open this link to see your requests. It works once, for %(minutes)d minutes:\n\n"
            "%(url)s\n\nIf you did not ask for it, you can ignore this message."
        )
        % {"minutes": LINK_MINUTES, "url": url},
        settings.DEFAULT_FROM_EMAIL,
        [address],
    )


def _sign_in(request: HttpRequest, contact_id: int) -> None:
    request.session.cycle_key()  # a new session id: no fixation
    request.session[SESSION_KEY] = contact_id
    _restamp(request, contact_id)


def _restamp(request: HttpRequest, contact_id: int) -> None:
    contact = Contact.objects.select_related("portal_password").get(pk=contact_id)
    request.session[STAMP_KEY] = passwords.stamp(contact)


@in_language
def login(request: HttpRequest, lang: str) -> HttpResponse:
    if _contact(request) is not None:
        return redirect("portal:portal-requests", lang)
    sent = False
    error = ""
    status = 200
    with_password = passwords.enabled()
    if request.method == "POST":
        address = request.POST.get("email", "").strip().lower()[:254]
        ip = request.META.get("REMOTE_ADDR", "")
        if with_password and request.POST.get("action") == "password":
            try:
                contact = passwords.authenticate(address, request.POST.get("password", ""), ip)
            except passwords.Refused as refused:
                error, status = str(refused), 429 if refused.limited else 400
            else:
                _sign_in(request, contact.pk)
                return redirect("portal:portal-requests", lang)
        elif _limited(f"ip:{ip}") or _limited(f"email:{address}"):
            error, status = _("Too many requests. Please try again in an hour."), 429
        else:
            identity = (
                Identity.objects.filter(kind=IdentityKind.EMAIL, value=address)
                .select_related("contact")
                .first()
            )
            if identity is not None:
                send_link(request, identity.contact, address, lang)
            sent = True  # the same answer either way
    return page(
        request,
        lang,
        "portal/portal_login.html",
        _meta(request, lang, _("My requests")),
        status=status,
        sent=sent,
        error=error,
        with_password=with_password,
        noindex=True,
    )


@in_language
def enter(request: HttpRequest, lang: str, token: str) -> HttpResponse:
    """Use a link once: an unknown, used or expired one signs nobody in."""
    now = timezone.now()
    with transaction.atomic():
        link = (
            PortalLink.objects.select_for_update()
            .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if link is not None:
            link.used_at = now
            link.save(update_fields=["used_at"])
    if link is None:
        return page(
            request,
            lang,
            "portal/portal_login.html",
            _meta(request, lang, _("My requests")),
            status=403,
            error=_("This sign-in link is used or expired. Ask for a new one."),
            noindex=True,
        )
    _sign_in(request, link.contact_id)
    return redirect("portal:portal-requests", lang)


@in_language
@require_POST
def logout(request: HttpRequest, lang: str) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(STAMP_KEY, None)
    request.session.cycle_key()
    return redirect("portal:home", lang)


@in_language
def requests(request: HttpRequest, lang: str) -> HttpResponse:
    contact = _contact(request)
    if contact is None:
        return redirect("portal:portal-login", lang)
    shared = organisation.shares_requests(contact.organisation)
    show = "organisation" if shared and request.GET.get("show") == "organisation" else "mine"
    if show == "organisation":
        tickets: QuerySet[Ticket] = organisation.organisation_requests(contact)
        title = _("My organisation's requests")
    else:
        tickets = organisation.own_requests(contact)
        title = _("My requests")
    return page(
        request,
        lang,
        "portal/portal_requests.html",
        _meta(request, lang, title),
        contact=contact,
        tickets=tickets.select_related("requester").order_by("-created_at")[:100],
        shared=shared,
        show=show,
        title=title,
        with_password=passwords.enabled(),
        noindex=True,
    )


@in_language
def password(request: HttpRequest, lang: str) -> HttpResponse:
    """Set, change or remove one's own password (when the admin allows passwords)."""
    contact = _contact(request)
    if contact is None:
        return redirect("portal:portal-login", lang)
    if not passwords.enabled():
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            PortalPassword.objects.filter(contact=contact).delete()
            _restamp(request, contact.pk)  # this browser stays in, the others are out
            return redirect(f"{request.path}?saved=removed")
        new = request.POST.get("password", "")
        if new != request.POST.get("password_again", ""):
            errors = [_("The passwords are not the same.")]
        else:
            try:
                passwords.set_password(contact, new)
            except ValidationError as exc:
                errors = list(exc.messages)
            else:
                _restamp(request, contact.pk)
                return redirect(f"{request.path}?saved=set")
    return page(
        request,
        lang,
        "portal/portal_password.html",
        _meta(request, lang, _("Password")),
        status=400 if errors else 200,
        errors=errors,
        has_password=PortalPassword.objects.filter(contact=contact).exists(),
        saved=request.GET.get("saved", ""),
        help_texts=password_validators_help_texts(),
        noindex=True,
    )


@in_language
def detail(request: HttpRequest, lang: str, number: int) -> HttpResponse:
    contact = _contact(request)
    if contact is None:
        return redirect("portal:portal-login", lang)
    ticket = (
        organisation.readable_requests(contact)
        .select_related("requester")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    error = ""
    if request.method == "POST":
        error = _act(request, ticket, contact)
        if not error:
            return redirect("portal:portal-request", lang, number)
    messages = (
        ticket.messages.filter(kind__in=CUSTOMER_KINDS)
        .select_related("author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return page(
        request,
        lang,
        "portal/portal_request.html",
        _meta(request, lang, ticket.subject),
        status=400 if error else 200,
        ticket=ticket,
        messages=messages,
        field_values=custom_fields.shown_values(ticket, customer=True),
        error=error,
        closed=ticket.status == Status.CLOSED,
        solved=ticket.status == Status.SOLVED,
        own=ticket.requester_id == contact.pk,
        contact=contact,
        noindex=True,
    )


def _act(request: HttpRequest, ticket: Ticket, contact: Contact) -> str:
    if ticket.status == Status.CLOSED:
        return _("This request is closed. Send a new one instead.")
    if request.POST.get("action") == "solve":
        if ticket.requester_id != contact.pk:
            return _("Only the person who sent the request can mark it solved.")
        actions.update_ticket(ticket, actor=None, via=Via.CHANNEL, status=Status.SOLVED)
        return ""
    text = request.POST.get("text", "").strip()[:20_000]
    files = request.FILES.getlist("attachments")[:5]
    if not text and not files:
        return _("Write a message first.")
    with actions.unit_of_work():
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            text=text,
            channel=Channel.WEB_FORM,
            author_contact=contact,
            attachments=[
                actions.NewAttachment(filename=f.name or "file", content=f) for f in files
            ],
            meta={"portal": True},
        )
        if ticket.requester_id != contact.pk:
            # A colleague who writes joins the conversation, as in a mail thread:
            # the desk's replies reach them too.
            actions.add_ccs(ticket, [contact], actor=None, via=Via.CHANNEL)
    return ""
