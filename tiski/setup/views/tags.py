"""Tags: every tag with its usage; rename, merge into another, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from tiski.tickets import tags as tag_service
from tiski.tickets.models import Tag

from .. import tag_uses
from ..audit import record_setting_change
from ..forms_desk import TagMergeForm, TagRenameForm
from .common import admin_required

SECTION = "tags"


@require_GET
@admin_required
def tag_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    tags = Tag.objects.annotate(usage=Count("tickets")).order_by("-usage", "name")
    if query:
        tags = tags.filter(name__icontains=Tag.normalise(query))
    page = Paginator(tags, 100).get_page(request.GET.get("page"))
    return render(request, "setup/tags/list.html", {"page": page, "query": query})


def _tickets_message(count: int) -> str:
    return ngettext("%(count)s ticket changed.", "%(count)s tickets changed.", count) % {
        "count": count
    }


def _uses_message(count: int) -> str:
    if not count:
        return ""
    return " " + ngettext(
        "%(count)s rule or ready answer now uses the new name.",
        "%(count)s rules and ready answers now use the new name.",
        count,
    ) % {"count": count}


@admin_required
def tag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tag = get_object_or_404(Tag.objects.annotate(usage=Count("tickets")), pk=pk)
    action = request.POST.get("action", "")
    rename = TagRenameForm(request.POST if action == "rename" else None, initial={"name": tag.name})
    merge = TagMergeForm(request.POST if action == "merge" else None, source=tag)
    user = request.user
    if action == "rename" and rename.is_valid():
        try:
            with transaction.atomic():
                renamed, count = tag_service.rename_tag(
                    tag,
                    rename.cleaned_data["name"],
                    actor=user,  # type: ignore[arg-type]
                )
                record_setting_change(
                    user, SECTION, "changed", renamed, {"name": [tag.name, renamed.name]}
                )
                carried = tag_uses.carry_over(tag.name, renamed.name, actor=user)
        except ValidationError as exc:
            rename.add_error("name", exc)
        else:
            messages.success(
                request, _("Tag renamed.") + " " + _tickets_message(count) + _uses_message(carried)
            )
            return redirect("setup:tag", pk=renamed.pk)
    elif action == "merge" and merge.is_valid():
        target = merge.cleaned_data["target"]
        with transaction.atomic():
            count = tag_service.merge_tags(tag, target, actor=user)  # type: ignore[arg-type]
            record_setting_change(
                user, SECTION, "deleted", tag, {"merged into": [tag.name, target.name]}
            )
            carried = tag_uses.carry_over(tag.name, target.name, actor=user)
        messages.success(
            request,
            _("%(source)s merged into %(target)s.") % {"source": tag.name, "target": target.name}
            + " "
            + _tickets_message(count)
            + _uses_message(carried),
        )
        return redirect("setup:tag", pk=target.pk)
    elif action == "delete" and not request.POST.get("confirm"):
        messages.error(request, _("Tick “Yes, delete this tag” to delete it."))
    elif action == "delete":
        uses = tag_uses.uses_of(tag.name)
        with transaction.atomic():
            count = tag_service.delete_tag(tag, actor=user)  # type: ignore[arg-type]
            record_setting_change(user, SECTION, "deleted", tag, {"name": [tag.name, None]})
        messages.success(
            request, _("Tag %(name)s deleted.") % {"name": tag.name} + " " + _tickets_message(count)
        )
        if uses:
            # Deleting does not edit them: a rule that adds the tag would
            # bring it back, one that looks for it never matches.
            messages.warning(
                request,
                _("These still name %(name)s: %(uses)s.")
                % {"name": tag.name, "uses": ", ".join(f"{u.title} “{u.name}”" for u in uses)},
            )
        return redirect("setup:tags")
    others = Tag.objects.exclude(pk=tag.pk).order_by("name").values_list("name", flat=True)[:500]
    return render(
        request,
        "setup/tags/detail.html",
        {
            "tag": tag,
            "rename": rename,
            "merge": merge,
            "others": others,
            "uses": tag_uses.uses_of(tag.name),
        },
    )
