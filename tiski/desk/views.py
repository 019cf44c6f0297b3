"""Views of the agent desk: thin, they read through visible_to and write through actions."""

from __future__ import annotations

import mimetypes
from dataclasses import replace
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.email import forward as forwarding
from tiski.connectors.routes import ReplyRoute, chosen_route, reply_routes
from tiski.connectors.webchat.services import read_up_to as chat_read_up_to
from tiski.core.csp import allow_remote_images
from tiski.customers.actions import get_or_create_contact
from tiski.customers.history import contact_history, organisation_history
from tiski.customers.models import Contact, IdentityKind, NameSource, Organisation
from tiski.knowledge.actions import record_sent_articles
from tiski.portal.organisation import shares_requests
from tiski.search.service import saved_views_for
from tiski.tickets import actions, custom_fields
from tiski.tickets.field_inputs import custom_field_name, initial_value
from tiski.tickets.labels import priority_choices
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import (
    RASTER_IMAGE_TYPES,
    Attachment,
    Channel,
    MessageKind,
    Status,
    Ticket,
    TicketLink,
    TicketMerge,
    Via,
)
from tiski.tickets.queue import take_next_ticket

from . import inbox, lookups
from .collab import refused_mention_error
from .drilldown import Drilldown
from .forms import ForwardForm, NewTicketForm, ReplyForm, TicketFieldsForm, contact_search
from .message_fragments import render_messages
from .rows import ROW_FIELDS, attach_kept_relations, attach_tag_names
from .timeline import TimelineEntry, timeline_window

# Images a browser may show inline from an attachment link; anything else downloads.
INLINE_SAFE_TYPES = RASTER_IMAGE_TYPES

if TYPE_CHECKING:
    from tiski.macros.models import Macro


def _ticket_list_queryset(user):
    return Ticket.objects.visible_to(user).select_related("requester", "assignee", "team", "type")


def _uploaded(files) -> list[actions.NewAttachment]:
    return [
        actions.NewAttachment(
            filename=f.name,
            content=f,
            content_type=f.content_type or mimetypes.guess_type(f.name)[0] or "",
        )
        for f in files
    ]


# --- inbox -----------------------------------------------------------------


@login_required
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    listing = inbox.Listing.from_query(user, request.GET)
    view, filters, sort = listing.view, listing.filters, listing.sort
    qs = listing.tickets(Ticket.objects.visible_to(user).select_related("requester"), user)
    drilldown = listing.drilldown
    page = inbox.paginate(
        qs.only(*ROW_FIELDS, *inbox.SORT_FIELDS),
        sort,
        request.GET.get("cursor"),
        settings.TISKI_PAGE_SIZE,
    )
    attach_kept_relations(page.tickets)
    attach_tag_names(page.tickets)
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("partial", None)
    context = {
        "view": view,
        "filters": filters,
        "drilldown": drilldown,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _columns) in inbox.SORTS.items()],
        "page": page,
        "query_without_cursor": params.urlencode(),
        "is_first_page": not request.GET.get("cursor"),
    }
    if request.GET.get("partial") == "rows":
        return render(request, "desk/_ticket_rows.html", context)
    views = _views_with_counts(user)
    if page.next_cursor:
        # More than a page matches: the bulk bar offers them all, counted up to the cap.
        context["bulk_matching"] = {
            "count": _matching_count(listing, qs, views),
            "cap": inbox.SELECT_ALL_CAP,
            "query": params.urlencode(),
        }
    context.update(
        {
            "views": views,
            "saved_views": saved_views_for(user),
            "statuses": Status.choices,
            "priorities": priority_choices(),
            "channels": Channel.choices,
            # (value, label) pairs: the filter form writes them in Python (filter_options).
            "types": [(t.slug, t.name) for t in lookups.active_types()],
            "teams": [(str(t.pk), t.name) for t in _teams_for_filters(user)],
            "agents": [(str(a.pk), a.name) for a in lookups.active_agents()],
        }
    )
    return render(request, "desk/inbox.html", context)


def _matching_count(listing: inbox.Listing, qs: QuerySet[Ticket], views: list[dict]) -> int:
    """How many tickets the list matches, up to the bulk bar's cap (and one more).

    A list without filters is its view, which the sidebar has just counted:
    exactly, or up to COUNT_CAP, which is above the bulk bar's cap. Only a
    filtered list (or one outside the sidebar's views) is counted again.
    """
    counted = next((v["count"] for v in views if v["view"].key == listing.view.key), None)
    unfiltered = not listing.filters.active and listing.drilldown == Drilldown()
    if counted is not None and unfiltered and inbox.COUNT_CAP > inbox.SELECT_ALL_CAP:
        return min(counted, inbox.SELECT_ALL_CAP + 1)
    return inbox.bounded_count(qs, inbox.SELECT_ALL_CAP)


def _teams_for_filters(user):
    return lookups.teams_of(user)


def _views_with_counts(user) -> list[dict]:
    views = inbox.views_for(user)
    counts = inbox.view_counts(Ticket.objects.visible_to(user), views, user)
    return [
        {"view": v, "count": counts[v.key], "label": inbox.format_count(counts[v.key])}
        for v in views
    ]


@login_required
@require_GET
def view_counts(request: HttpRequest) -> HttpResponse:
    views = _views_with_counts(request.user)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({v["view"].key: v["count"] for v in views})
    context = {
        "views": views,
        "saved_views": saved_views_for(request.user),
        "view": inbox.find_view(request.user, request.GET.get("view")),
    }
    return render(request, "desk/_view_nav.html", context)


# --- ticket ------------------------------------------------------------------


def _ticket_context(request: HttpRequest, ticket: Ticket, **extra) -> dict:
    # An HTML mail may arrive while the page is open (the conversation reloads
    # live): its frame inherits this page's policy, so the page allows https:
    # images even when it starts with plain-text messages only.
    allow_remote_images(request)
    # The requester came with the ticket; its identities (the requester card,
    # the email route's address) are read with the message authors' ones.
    # Its organisation, when it has one, is read where the card shows it.
    requester = ticket.requester
    window = timeline_window(
        ticket,
        include=_message_param(request),
        since=_shown_from_param(request),
        contacts=[requester],
    )
    routes = reply_routes(ticket)
    route = routes[0]
    # Forwarding goes by email: the message blocks offer the email route's mailboxes.
    by_email = next((r for r in routes if r.mailboxes), route)
    timeline = _with_blocks(request, ticket, window.entries, by_email)
    last_message_id = max((e.message.pk for e in timeline if e.message), default=0)
    # The card shows each one's number, subject and status: no assignee, no other columns.
    other_tickets = (
        Ticket.objects.visible_to(request.user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("number", "subject", "status")
        .order_by("-created_at")[:8]
    )
    custom = custom_fields.fields_for(ticket.type_id)
    # Values are shown only in the type's fields: most types have none to read.
    values = custom_fields.values_of(ticket) if custom else {}
    fields_form = extra.pop("fields_form", None) or TicketFieldsForm(
        custom=custom,
        initial={
            **{custom_field_name(f): initial_value(f, values.get(f.key, "")) for f in custom},
            "status": ticket.status,
            "type": ticket.type_id,
            "priority": ticket.priority,
            "due_at": ticket.due_at,
            "assignee": ticket.assignee_id,
            "team": ticket.team_id,
            "tags": ", ".join(t.name for t in ticket.tags.all()),
        },
    )
    # The first route a reply can go on is the default: an SMS number that
    # opted out still says so, and email (when there is an address) is chosen.
    usable = next((r for r in routes if r.reachable), None)
    can_reply = request.user.can_reply_publicly and usable is not None
    reply_form = extra.pop("reply_form", None) or ReplyForm(
        initial={
            "kind": MessageKind.PUBLIC if can_reply else MessageKind.INTERNAL,
            "last_seen_message": last_message_id,
            "mailbox": by_email.mailbox.pk if by_email.mailbox else None,
            "reply_channel": usable.channel if usable else route.channel,
        }
    )
    merges = actions.merges_for(ticket)
    mentions, mentioned_by = _linked_tickets(request.user, ticket)
    return {
        "ticket": ticket,
        "timeline": timeline,
        "has_older": window.has_older,
        "older_than": window.older_than,
        "requester": requester,
        "other_tickets": other_tickets,
        "fields_form": fields_form,
        "reply_form": reply_form,
        "route": route,
        "routes": routes,
        "email_route": by_email if by_email.mailboxes else None,
        "can_reply": usable is not None,
        "chat_read_up_to": chat_read_up_to(ticket.pk) if route.live is not None else None,
        "forwardable_kinds": forwarding.FORWARDED_KINDS,
        "last_message_id": last_message_id,
        "mentions": mentions,
        "mentioned_by": mentioned_by,
        "merges": merges,
        "merged_into": next(
            (m for m in merges if m.source_id == ticket.pk and m.undone_at is None), None
        ),
        **extra,
    }


def _linked_tickets(user, ticket: Ticket) -> tuple[list[Ticket], list[Ticket]]:
    """The tickets this one mentions and those that mention it, as far as the
    viewer may open them (a link must not reveal a restricted case).

    Most tickets have no links: one look at the link table answers that,
    and the tickets are read only for links there are.
    """
    pairs = list(
        TicketLink.objects.filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk)).values_list(
            "source_id", "target_id"
        )
    )
    if not pairs:
        return [], []
    visible = Ticket.objects.visible_to(user).select_related("assignee")
    mentions = any(source == ticket.pk for source, _target in pairs)
    mentioned = any(target == ticket.pk for _source, target in pairs)
    return (
        list(visible.filter(links_in__source=ticket).distinct()) if mentions else [],
        list(visible.filter(links_out__target=ticket).distinct()) if mentioned else [],
    )


def _message_param(request: HttpRequest) -> int | None:
    """``?message=<id>``: a link to one message, which the page must show."""
    return _message_id(request.GET.get("message", ""))


def _shown_from_param(request: HttpRequest) -> int | None:
    """``shown_from=<id>``: the oldest message the page already shows (desk.js
    sends it with a live refresh, a side-panel save and a reply), so the
    re-rendered conversation keeps the older messages the agent loaded."""
    return _message_id(request.POST.get("shown_from") or request.GET.get("shown_from", ""))


def _message_id(value: str) -> int | None:
    # ASCII digits that fit a bigint: "²" is a digit to isdigit(), and a
    # longer number would be an error on PostgreSQL, not "no such message".
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _with_blocks(
    request: HttpRequest, ticket: Ticket, entries: list[TimelineEntry], route: ReplyRoute
) -> list[TimelineEntry]:
    """The entries with each message's block rendered (from the cache where it is)."""
    blocks = render_messages(
        request,
        ticket,
        [e.message for e in entries if e.message is not None],
        route=route,
        forwardable_kinds=forwarding.FORWARDED_KINDS,
    )
    return [replace(e, html=blocks[e.message.pk]) if e.message is not None else e for e in entries]


@login_required
@require_GET
def ticket_view(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    return render(request, "desk/ticket.html", _ticket_context(request, ticket))


@login_required
@require_GET
def ticket_conversation(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    return render(request, "desk/_conversation_refresh.html", _ticket_context(request, ticket))


@login_required
@require_GET
def ticket_conversation_older(request: HttpRequest, number: int) -> HttpResponse:
    """The stretch of conversation before message ``?before=``, with its own
    "show older" button when there is more."""
    ticket = get_visible_ticket(request.user, number)
    before = request.GET.get("before", "")
    if not before.isdigit():
        return HttpResponse(status=400)
    window = timeline_window(ticket, before=int(before))
    routes = reply_routes(ticket)
    route = next((r for r in routes if r.mailboxes), routes[0])
    return render(
        request,
        "desk/_conversation.html",
        {
            "ticket": ticket,
            "timeline": _with_blocks(request, ticket, window.entries, route),
            "has_older": window.has_older,
            "older_than": window.older_than,
        },
    )


@login_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "desk/ticket.html",
            _ticket_context(request, ticket, reply_form=form),
            status=400,
        )
    data = form.cleaned_data
    try:
        actions.check_can_write_message(request.user, data["kind"])
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return render(
            request,
            "desk/ticket.html",
            _ticket_context(request, ticket, reply_form=form),
            status=403,
        )
    last_seen = data.get("last_seen_message")
    newer = actions.messages_since(ticket, last_seen) if last_seen is not None else []
    if newer and not data.get("confirm_collision"):
        # Someone else wrote while this agent was typing: show what arrived
        # and let them decide, keeping their draft.
        data_copy = request.POST.copy()
        data_copy["confirm_collision"] = "on"
        data_copy["last_seen_message"] = str(max(m.pk for m in newer))
        return render(
            request,
            "desk/ticket.html",
            _ticket_context(request, ticket, reply_form=ReplyForm(data_copy), collision=newer),
            status=409,
        )
    if data["kind"] == MessageKind.INTERNAL:
        # A note may only mention agents who can see the ticket: say so
        # before writing, keeping the draft.
        refused = refused_mention_error(ticket, data["text"])
        if refused:
            form.add_error(None, refused)
            return render(
                request,
                "desk/ticket.html",
                _ticket_context(request, ticket, reply_form=form),
                status=400,
            )
    channel, meta = Channel.MANUAL, None
    if data["kind"] == MessageKind.PUBLIC:
        # Decided here, before writing: a reply nobody would receive (an
        # opted-out number, no address), too long or with a file the channel
        # does not carry is refused with the reason, the draft kept.
        route = chosen_route(reply_routes(ticket), data.get("reply_channel") or "")
        problem = (
            route.refusal(data["text"], data["attachments"])
            if route is not None
            else _("A reply cannot be sent that way on this ticket. Choose another channel.")
        )
        if problem:
            form.add_error(None, problem)
            return render(
                request,
                "desk/ticket.html",
                _ticket_context(request, ticket, reply_form=form),
                status=400,
            )
        channel, meta = route.channel, dict(route.meta)
        if route.mailboxes:
            mailbox = data.get("mailbox") or route.mailbox
            meta.update(mailbox=mailbox.address, cc=data["cc"], bcc=data["bcc"])
    macro = _inserted_macro(request, data.get("macro"))
    if macro is not None:
        # The conversation says which ready answer the reply was written with.
        meta = {**(meta or {}), "macro": macro.pk, "macro_name": macro.name}
    try:
        # One agent action, one change: the reply and the ready answer's
        # changes reach SLA, rules, search and the push together, once.
        with actions.unit_of_work():
            actions.add_message(
                ticket,
                kind=data["kind"],
                actor=request.user,
                via=Via.AGENT,
                text=data["text"],
                attachments=_uploaded(data["attachments"]),
                channel=channel,
                meta=meta,
                status_after=data.get("status_after") or None,
            )
            _apply_macro(request, ticket, macro)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return render(
            request,
            "desk/ticket.html",
            _ticket_context(request, ticket, reply_form=form),
            status=403,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(
            request,
            "desk/ticket.html",
            _ticket_context(request, ticket, reply_form=form),
            status=400,
        )
    if data["kind"] == MessageKind.PUBLIC:
        # Which help-centre articles the reply carried: the knowledge base counts them.
        record_sent_articles(ticket, request.POST.getlist("kb_article"), request.user)
    flash.success(
        request,
        _("Internal note added.") if data["kind"] == MessageKind.INTERNAL else _("Reply sent."),
    )
    return redirect(ticket.get_absolute_url())


@login_required
@require_POST
def ticket_forward(request: HttpRequest, number: int) -> HttpResponse:
    """Forward the ticket, or one of its messages, to an outside address."""
    ticket = get_visible_ticket(request.user, number)
    form = ForwardForm(request.POST)
    if not form.is_valid():
        flash.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(ticket.get_absolute_url())
    data = form.cleaned_data
    message = None
    if data.get("message"):
        message = get_object_or_404(ticket.messages, pk=data["message"])
    try:
        forwarding.forward(
            ticket,
            to=data["to"],
            note=data["note"],
            message=message,
            mailbox=data.get("mailbox"),
            actor=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, _error_text(exc))
    else:
        flash.success(request, _("Forwarded to %(to)s.") % {"to": ", ".join(data["to"])})
    return redirect(ticket.get_absolute_url())


def _inserted_macro(request: HttpRequest, macro_id: int | None) -> Macro | None:
    """The ready answer the agent inserted into this reply, if they may use it."""
    if not macro_id:
        return None
    from tiski.macros.models import Macro

    return Macro.objects.usable_by(request.user).filter(pk=macro_id).first()


def _apply_macro(request: HttpRequest, ticket: Ticket, macro: Macro | None) -> None:
    """The ticket changes of a ready answer the agent inserted into this reply.

    Runs inside the reply's unit of work; `apply_actions` keeps its own
    savepoint, so a change the ticket refuses is reported and the reply
    still goes.
    """
    if macro is None:
        return
    from tiski.macros.services import apply_actions

    ticket.refresh_from_db()
    try:
        apply_actions(macro, ticket, request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))


@login_required
@require_POST
def message_move(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    """Move a message to another ticket (by number), or split it into a new one."""
    ticket = get_visible_ticket(request.user, number)
    message = get_object_or_404(ticket.messages, pk=message_id)
    try:
        if request.POST.get("split"):
            target = actions.split_message(message, actor=request.user, via=Via.AGENT)
            flash.success(
                request, _("The message is now ticket #%(number)s.") % {"number": target.number}
            )
        else:
            raw = request.POST.get("target", "").strip().lstrip("#")
            if not raw.isdigit():
                raise ValidationError(_("Give the number of the ticket to move it to."))
            target = get_visible_ticket(request.user, int(raw))
            actions.move_message(message, target, actor=request.user, via=Via.AGENT)
            flash.success(
                request, _("Message moved to ticket #%(number)s.") % {"number": target.number}
            )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect(ticket.get_absolute_url())
    return redirect(target.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def ticket_merge(request: HttpRequest, number: int) -> HttpResponse:
    """Merge this ticket into another: pick the target, confirm, merge.

    GET without ``target`` shows the picker (the requester's other open
    tickets, or any number); GET with it shows what will happen; POST merges.
    """
    ticket = get_visible_ticket(request.user, number)
    data = request.POST if request.method == "POST" else request.GET
    # A picked ticket wins over a typed number.
    raw = (data.get("target") or data.get("target_number") or "").strip().lstrip("#")
    target = None
    error = ""
    if raw:
        try:
            if not raw.isdigit():
                raise ValidationError(_("Give the number of the ticket to merge into."))
            target = get_visible_ticket(request.user, int(raw))
            actions.check_can_merge(request.user, ticket, target)
        except Http404:
            error, target = _("No such ticket."), None
        except (ValidationError, PermissionDenied) as exc:
            error, target = _error_text(exc), None
    if request.method == "POST" and target is not None:
        try:
            actions.merge_tickets(ticket, target, actor=request.user, via=Via.AGENT)
        except (ValidationError, PermissionDenied) as exc:
            error = _error_text(exc)
        else:
            flash.success(
                request,
                _("Ticket #%(number)s was merged into this ticket.") % {"number": ticket.number},
            )
            return redirect(target.get_absolute_url())
    context = {
        "ticket": ticket,
        "target": target,
        "error": error,
        "query": raw,
        "candidates": actions.merge_candidates(request.user, ticket),
        "moving": ticket.messages.exclude(kind=MessageKind.SYSTEM).count(),
    }
    status = 400 if error and request.method == "POST" else 200
    return render(request, "desk/ticket_merge.html", context, status=status)


@login_required
@require_POST
def ticket_merge_undo(request: HttpRequest, number: int) -> HttpResponse:
    """Undo a merge this ticket took part in (as the merged one or the kept one)."""
    ticket = get_visible_ticket(request.user, number)
    merge_id = request.POST.get("merge", "")
    record = get_object_or_404(
        TicketMerge.objects.filter(Q(source=ticket) | Q(target=ticket)),
        pk=int(merge_id) if merge_id.isdigit() else 0,
    )
    try:
        actions.undo_ticket_merge(record, actor=request.user, via=Via.AGENT)
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, _error_text(exc))
        return redirect(ticket.get_absolute_url())
    flash.success(request, _("The merge was undone."))
    return redirect(reverse("desk:ticket", args=[record.source.number]))


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@login_required
@require_POST
def ticket_update(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    form = TicketFieldsForm(request.POST, custom=custom_fields.fields_for(ticket.type_id))
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            # One agent action, one change: rules and notifications see it once.
            with actions.unit_of_work():
                actions.update_ticket(
                    ticket,
                    actor=request.user,
                    via=Via.AGENT,
                    status=data["status"],
                    type=data["type"],
                    priority=data["priority"],
                    due_at=data["due_at"],
                    assignee=data["assignee"],
                    team=data["team"],
                    fields=form.custom_values(),
                )
                actions.set_tags(ticket, data["tags"], actor=request.user, via=Via.AGENT)
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 400
        else:
            if not request.htmx:
                flash.success(request, _("Ticket updated."))
                return redirect(ticket.get_absolute_url())
            form = None
    else:
        status = 400
    ticket.refresh_from_db()
    # A team change may have taken the ticket out of this agent's sight.
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        flash.info(request, _("The ticket moved to a team you cannot see."))
        return _redirect_htmx_aware(request, reverse("desk:inbox"))
    context = _ticket_context(request, ticket, fields_form=form, saved=status == 200)
    if not request.htmx:
        template = "desk/ticket.html"
    elif status == 200:
        # The header badges and the conversation's events changed too.
        template = "desk/_side_panel_saved.html"
    else:
        template = "desk/_side_panel.html"
    return render(request, template, context, status=status)


def _redirect_htmx_aware(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@login_required
@require_POST
def take_ticket(request: HttpRequest, number: int) -> HttpResponse:
    """Assign the ticket to me (the "take it" button and the `t` key)."""
    ticket = get_visible_ticket(request.user, number)
    try:
        actions.update_ticket(ticket, actor=request.user, via=Via.AGENT, assignee=request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return _redirect_htmx_aware(request, ticket.get_absolute_url())


@login_required
@require_POST
def next_ticket(request: HttpRequest) -> HttpResponse:
    """The "next ticket" key: assign me the top of my queue and open it."""
    ticket = take_next_ticket(request.user)
    if ticket is None:
        flash.info(request, _("Your queue is empty: no unassigned ticket is waiting."))
        return _redirect_htmx_aware(request, reverse("desk:inbox"))
    return _redirect_htmx_aware(request, ticket.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    initial_requester = None
    if request.GET.get("contact", "").isdigit():
        initial_requester = Contact.objects.filter(pk=int(request.GET["contact"])).first()
    if request.method == "POST":
        form = NewTicketForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # A contact typed in here is made in the same unit of work:
                # a refused ticket leaves no stray contact behind.
                with actions.unit_of_work():
                    requester = data["requester"] or _new_contact(data)
                    ticket = actions.create_ticket(
                        requester=requester,
                        subject=data["subject"],
                        text=data["text"],
                        first_message_kind=data["first_message_kind"],
                        actor=request.user,
                        via=Via.AGENT,
                        channel=data["channel"],
                        priority=data["priority"],
                        type=data["type"],
                        team=data["team"],
                        assignee=data["assignee"],
                        attachments=_uploaded(data["attachments"]),
                    )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            else:
                flash.success(request, _("Ticket #%(number)s created.") % {"number": ticket.number})
                return redirect(ticket.get_absolute_url())
        initial_requester = (
            form.cleaned_data.get("requester") if hasattr(form, "cleaned_data") else None
        )
    else:
        form = NewTicketForm(initial={"requester": initial_requester, "assignee": request.user.pk})
    return render(
        request,
        "desk/ticket_new.html",
        {"form": form, "initial_requester": initial_requester},
        status=400 if request.method == "POST" else 200,
    )


def _new_contact(data) -> Contact:
    """The contact for the details typed on the form, reusing a known identity."""
    contact = None
    if data["new_email"]:
        contact, _created = get_or_create_contact(
            IdentityKind.EMAIL,
            data["new_email"],
            name=data["new_name"],
            name_source=NameSource.AGENT,
        )
    if data["new_phone"]:
        if contact is None:
            contact, _created = get_or_create_contact(
                IdentityKind.PHONE,
                data["new_phone"],
                name=data["new_name"],
                name_source=NameSource.AGENT,
            )
        elif data["new_phone"] not in contact.phones:
            from tiski.customers.actions import find_contact

            if find_contact(IdentityKind.PHONE, data["new_phone"]) is None:
                contact.identities.create(kind=IdentityKind.PHONE, value=data["new_phone"])
    return contact


@login_required
@require_GET
def contact_lookup(request: HttpRequest) -> HttpResponse:
    results = contact_search(request.GET.get("q", ""))
    return render(request, "desk/_contact_results.html", {"results": results})


# --- attachments -------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, filename: str) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=pk)
    if not Ticket.objects.visible_to(request.user).filter(pk=attachment.message.ticket_id).exists():
        raise Http404(_("No such attachment."))
    inline = attachment.content_type in INLINE_SAFE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- contacts and organisations ---------------------------------------------


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    contacts = Contact.objects.select_related("organisation").prefetch_related("identities")
    if query:
        contacts = contacts.matching(query)
    page = Paginator(contacts.order_by("name", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "desk/contacts.html", {"page": page, "query": query})


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("organisation").prefetch_related("identities"), pk=pk
    )
    tickets = _ticket_list_queryset(request.user).filter(requester=contact).order_by("-created_at")
    return render(
        request,
        "desk/contact.html",
        {"contact": contact, "tickets": tickets[:200], "history": contact_history(contact)},
    )


@login_required
@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    orgs = Organisation.objects.prefetch_related("domains").annotate(
        contact_count=Count("contacts", distinct=True)
    )
    if query:
        orgs = orgs.filter(
            Q(name__icontains=query) | Q(domains__domain__icontains=query)
        ).distinct()
    page = Paginator(orgs.order_by("name", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "desk/organisations.html", {"page": page, "query": query})


@login_required
@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation.objects.prefetch_related("domains"), pk=pk)
    contacts = org.contacts.prefetch_related("identities").order_by("name")
    tickets = (
        _ticket_list_queryset(request.user)
        .filter(requester__organisation=org)
        .order_by("-created_at")
    )
    return render(
        request,
        "desk/organisation.html",
        {
            "organisation": org,
            "contacts": contacts,
            "tickets": tickets[:200],
            "history": organisation_history(org),
            "portal_shared": shares_requests(org),
        },
    )


# --- preferences -------------------------------------------------------------


@login_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    target = request.POST.get("next") or reverse("desk:inbox")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("desk:inbox")
    return HttpResponseRedirect(target)
