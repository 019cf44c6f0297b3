"""The only write path of the knowledge base.

Views, demo data and tests call these; each keeps the invariants in one
place: the body is sanitised before it is stored, every save writes a
version, a changed slug keeps the old one for redirects, and the search
index and the help centre's content version (the public page cache's key)
follow the text in the same transaction.
"""

from __future__ import annotations

import difflib
import html as html_lib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tiski.core.sanitize import sanitize_article_html

from . import indexing, public_version, reads
from .models import (
    Article,
    ArticleFeedback,
    ArticleSend,
    ArticleSlug,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Category,
    Section,
)

if TYPE_CHECKING:
    from tiski.accounts.models import User
    from tiski.tickets.models import Ticket


class KnowledgeError(ValueError):
    """A write the knowledge base refuses, with a sentence for the agent."""


_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|pre|blockquote|table|ul|ol)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")


def html_to_text(html: str) -> str:
    """Sanitised HTML as plain text, paragraphs on lines of their own."""
    text = _BLOCK_END.sub("\n", html)
    text = html_lib.unescape(_TAG.sub(" ", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def unique_slug(language: str, wanted: str, *, exclude_pk: int | None = None) -> str:
    """A slug free in this language (current and old slugs of other articles)."""
    base = slugify(wanted)[:150] or "artikkeli"
    slug, n = base, 1
    while True:
        taken = ArticleTranslation.objects.filter(language=language, slug=slug)
        old = ArticleSlug.objects.filter(language=language, slug=slug)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
            old = old.exclude(translation_id=exclude_pk)
        if not taken.exists() and not old.exists():
            return slug
        n += 1
        slug = f"{base}-{n}"


@transaction.atomic
def create_category(slug: str, names: dict[str, dict[str, str]], position: int = 0) -> Category:
    public_version.bump()
    return Category.objects.create(slug=slugify(slug), names=names, position=position)


def create_section(
    category: Category,
    slug: str,
    names: dict[str, dict[str, str]],
    *,
    position: int = 0,
    is_faq: bool = False,
) -> Section:
    with transaction.atomic():
        public_version.bump()
        return Section.objects.create(
            category=category, slug=slugify(slug), names=names, position=position, is_faq=is_faq
        )


@transaction.atomic
def create_article(
    *,
    section: Section,
    author: User | None,
    language: str,
    title: str,
    body_html: str,
    internal: bool = False,
    description: str = "",
    slug: str = "",
    publish: bool = False,
) -> ArticleTranslation:
    article = Article.objects.create(section=section, internal=internal)
    return save_translation(
        article,
        language,
        author=author,
        title=title,
        body_html=body_html,
        description=description,
        slug=slug,
        status=ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT,
    )


@transaction.atomic
def save_translation(
    article: Article,
    language: str,
    *,
    author: User | None,
    title: str,
    body_html: str,
    description: str = "",
    slug: str = "",
    status: str | None = None,
) -> ArticleTranslation:
    """Write one language of an article (new or edited) and keep a version."""
    title = " ".join(title.split())
    if not title:
        raise KnowledgeError(_("An article needs a title."))
    now = timezone.now()
    translation = (
        ArticleTranslation.objects.select_for_update()
        .filter(article=article, language=language)
        .first()
    )
    clean = sanitize_article_html(body_html)
    if translation is None:
        translation = ArticleTranslation(article=article, language=language)
    old_slug = translation.slug
    wanted = slugify(slug) or (old_slug if translation.pk else slugify(title))
    new_slug = (
        old_slug
        if translation.pk and wanted == old_slug
        else unique_slug(language, wanted or title, exclude_pk=translation.pk)
    )
    translation.title = title
    translation.description = " ".join(description.split())[:300]
    translation.body_html = clean
    translation.body_text = html_to_text(clean)
    translation.slug = new_slug
    translation.author = author
    translation.updated_at = now
    if status is not None:
        translation.status = status
    if translation.status == ArticleStatus.PUBLISHED and translation.published_at is None:
        translation.published_at = now
    translation.save()
    if old_slug and old_slug != new_slug:
        # The old address keeps working: a 301 to the new one.
        ArticleSlug.objects.get_or_create(
            language=language, slug=old_slug, defaults={"translation": translation}
        )
    ArticleSlug.objects.filter(language=language, slug=new_slug).delete()
    _record_version(translation, author, now)
    indexing.index_translations([translation.pk])
    public_version.bump()
    return translation


def _record_version(translation: ArticleTranslation, author: User | None, now) -> ArticleVersion:  # type: ignore[no-untyped-def]
    last = translation.versions.order_by("-number").values_list("number", flat=True).first()
    return ArticleVersion.objects.create(
        translation=translation,
        number=(last or 0) + 1,
        title=translation.title,
        body_html=translation.body_html,
        status=translation.status,
        author=author,
        created_at=now,
    )


@transaction.atomic
def set_status(translation: ArticleTranslation, status: str, *, actor: User | None) -> None:
    """Publish, archive or return to draft; the history records it as a version."""
    if status not in ArticleStatus.values:
        raise KnowledgeError(_("Unknown status."))
    now = timezone.now()
    translation.status = status
    translation.updated_at = now
    if status == ArticleStatus.PUBLISHED and translation.published_at is None:
        translation.published_at = now
    translation.save(update_fields=["status", "updated_at", "published_at"])
    _record_version(translation, actor, now)
    indexing.index_translations([translation.pk])
    public_version.bump()


@transaction.atomic
def move_article(article: Article, section: Section) -> None:
    """Put the article in another section (its pages' breadcrumbs change)."""
    if article.section_id != section.pk:
        article.section = section
        article.save(update_fields=["section"])
        public_version.bump()


@transaction.atomic
def set_internal(article: Article, internal: bool) -> None:
    Article.objects.filter(pk=article.pk).update(internal=internal)
    public_version.bump()
    article.internal = internal


@transaction.atomic
def restore_version(version: ArticleVersion, *, actor: User | None) -> ArticleTranslation:
    """Bring an old text back as a new version (the history only grows)."""
    translation = version.translation
    return save_translation(
        translation.article,
        translation.language,
        author=actor,
        title=version.title,
        body_html=version.body_html,
        description=translation.description,
        slug=translation.slug,
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff_versions(old: ArticleVersion | None, new: ArticleVersion) -> list[DiffLine]:
    """Line diff of two versions' text (title first), for the history page."""
    before = ([old.title] + html_to_text(old.body_html).splitlines()) if old else []
    after = [new.title] + html_to_text(new.body_html).splitlines()
    out: list[DiffLine] = []
    for line in difflib.ndiff(before, after):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        kind = {"+ ": "added", "- ": "removed"}.get(tag, "same")
        out.append(DiffLine(kind, text))
    return out


def record_view(article_id: int) -> None:
    """A read on the help centre: counted in batches (`reads`), not an UPDATE per page."""
    reads.note(article_id)


def record_deflection(article_id: int) -> None:
    Article.objects.filter(pk=article_id).update(deflections=F("deflections") + 1)


def record_feedback(translation: ArticleTranslation, helpful: bool, comment: str = "") -> None:
    ArticleFeedback.objects.create(
        translation=translation, helpful=helpful, comment=comment.strip()[:2000]
    )


def record_send(article: Article, ticket: Ticket, user: User | None) -> None:
    """An article went into a ticket's reply: counted on the article."""
    ArticleSend.objects.create(article=article, ticket=ticket, user=user)
    Article.objects.filter(pk=article.pk).update(sent_count=F("sent_count") + 1)


def record_sent_articles(ticket: Ticket, article_ids: list[str], user: User | None) -> int:
    """The articles a sent reply was written with (the composer's kb_article fields)."""
    ids = {int(i) for i in article_ids if str(i).isdigit()}
    found = list(Article.objects.filter(pk__in=ids))
    for article in found:
        record_send(article, ticket, user)
    return len(found)
