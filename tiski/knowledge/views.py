"""The agents' knowledge-base pages: list, write, publish, history, restore."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions, search, usage
from .forms import ArticleForm, CategoryForm, SectionForm
from .images import EXTENSIONS, sniff_image
from .models import (
    Article,
    ArticleImage,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Category,
    Language,
    Section,
)

MAX_IMAGE_BYTES = 5 * 1024 * 1024


def _check_writer(request: HttpRequest) -> None:
    # Light agents read the knowledge base; writing it is an agent's work.
    if not request.user.can_reply_publicly:  # type: ignore[union-attr]
        raise PermissionDenied


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    hits = search.search_articles(query, scope=search.ALL, limit=50) if query else []
    articles = Article.objects.select_related("section__category").prefetch_related(
        Prefetch("translations", queryset=ArticleTranslation.objects.order_by("language"))
    )
    if status in ArticleStatus.values:
        articles = articles.filter(translations__status=status).distinct()
    articles = usage.with_solved_counts(articles)
    return render(
        request,
        "knowledge/article_list.html",
        {
            "query": query,
            "hits": hits,
            "articles": articles if not query else [],
            "status": status,
            "statuses": ArticleStatus.choices,
            "categories": Category.objects.prefetch_related("sections"),
        },
    )


def _form_page(
    request: HttpRequest, form: ArticleForm, translation: ArticleTranslation | None
) -> HttpResponse:
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "translation": translation, "languages": Language.choices},
    )


@login_required
def article_new(request: HttpRequest) -> HttpResponse:
    _check_writer(request)
    first_section = Section.objects.order_by("category__position", "position", "id").first()
    form = ArticleForm(request.POST or None, initial={"language": "fi", "section": first_section})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            translation = actions.create_article(
                section=data["section"],
                author=request.user,  # type: ignore[arg-type]
                language=data["language"],
                title=data["title"],
                body_html=data["body_html"],
                description=data["description"],
                slug=data["slug"],
                internal=data["internal"],
                publish="publish" in request.POST,
            )
        except actions.KnowledgeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Article saved."))
            return redirect(_edit_url(translation))
    return _form_page(request, form, None)


def _edit_url(translation: ArticleTranslation) -> str:
    return reverse("knowledge:edit", args=[translation.article_id, translation.language])


@login_required
def article_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    _check_writer(request)
    article = get_object_or_404(Article, pk=pk)
    if language not in Language.values:
        raise PermissionDenied
    translation = article.translations.filter(language=language).first()
    initial = {"section": article.section_id, "language": language, "internal": article.internal}
    if translation:
        initial |= {
            "title": translation.title,
            "slug": translation.slug,
            "description": translation.description,
            "body_html": translation.body_html,
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        status = ArticleStatus.PUBLISHED if "publish" in request.POST else None
        try:
            actions.move_article(article, data["section"])
            actions.set_internal(article, data["internal"])
            translation = actions.save_translation(
                article,
                language,
                author=request.user,  # type: ignore[arg-type]
                title=data["title"],
                body_html=data["body_html"],
                description=data["description"],
                slug=data["slug"],
                status=status,
            )
        except actions.KnowledgeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Article saved."))
            return redirect(_edit_url(translation))
    return _form_page(request, form, translation)


@login_required
@require_POST
def article_status(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    _check_writer(request)
    translation = get_object_or_404(ArticleTranslation, article_id=pk, language=language)
    actions.set_status(translation, request.POST.get("status", ""), actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Status changed."))
    return redirect(_edit_url(translation))


@login_required
def article_history(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    translation = get_object_or_404(ArticleTranslation, article_id=pk, language=language)
    versions = list(translation.versions.select_related("author").order_by("-number"))
    rows = [
        (
            version,
            actions.diff_versions(versions[i + 1] if i + 1 < len(versions) else None, version),
        )
        for i, version in enumerate(versions)
    ]
    return render(
        request, "knowledge/article_history.html", {"translation": translation, "rows": rows}
    )


@login_required
@require_POST
def version_restore(request: HttpRequest, pk: int) -> HttpResponse:
    _check_writer(request)
    version = get_object_or_404(ArticleVersion, pk=pk)
    translation = actions.restore_version(version, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Version %(number)s restored.") % {"number": version.number})
    return redirect(_edit_url(translation))


@login_required
def categories(request: HttpRequest) -> HttpResponse:
    _check_writer(request)
    category_form = CategoryForm(
        request.POST if "add_category" in request.POST else None, prefix="c"
    )
    section_form = SectionForm(request.POST if "add_section" in request.POST else None, prefix="s")
    if request.method == "POST":
        if "add_category" in request.POST and category_form.is_valid():
            data = category_form.cleaned_data
            actions.create_category(data["slug"], category_form.names(), Category.objects.count())
            messages.success(request, _("Category added."))
            return redirect("knowledge:categories")
        if "add_section" in request.POST and section_form.is_valid():
            data = section_form.cleaned_data
            actions.create_section(
                data["category"], data["slug"], section_form.names(), is_faq=data["is_faq"]
            )
            messages.success(request, _("Section added."))
            return redirect("knowledge:categories")
    return render(
        request,
        "knowledge/categories.html",
        {
            "categories": Category.objects.prefetch_related("sections"),
            "category_form": category_form,
            "section_form": section_form,
        },
    )


@login_required
@require_POST
def image_upload(request: HttpRequest) -> JsonResponse:
    """The editor's image button: the file is stored in Tiski and its public URL returned."""
    _check_writer(request)
    upload = request.FILES.get("image")
    if upload is None or upload.size is None or upload.size > MAX_IMAGE_BYTES:
        return JsonResponse({"error": _("Choose an image of at most 5 MB.")}, status=400)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_image(head)
    if kind is None:
        return JsonResponse({"error": _("Only PNG, JPEG, GIF and WebP images.")}, status=400)
    image = ArticleImage(content_type=kind, uploaded_by=request.user)
    image.file.save(f"image.{EXTENSIONS[kind]}", upload, save=True)
    return JsonResponse({"url": reverse("portal:image", args=[image.key])})


@login_required
def article_picker(request: HttpRequest) -> HttpResponse:
    """The composer's "insert article": published articles, internal ones too."""
    query = (request.GET.get("kb_q") or request.GET.get("q", "")).strip()
    language = request.GET.get("lang", "fi")
    hits = search.search_articles(query, language=language, scope=search.AGENT, limit=8)
    return render(
        request,
        "knowledge/_picker_results.html",
        {"hits": hits, "query": query, "ticket_number": request.GET.get("ticket", "")},
    )
