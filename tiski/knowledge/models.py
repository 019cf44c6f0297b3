"""The knowledge base: categories, sections, articles and their translations.

An `Article` is the language-neutral thing (where it sits, whether it is
internal); each `ArticleTranslation` is one language's text with its own
slug, title, body and publication status, so a Finnish article can be
published while its English translation is still a draft. Every save of a
translation keeps an `ArticleVersion`; every slug a translation had is kept
in `ArticleSlug` so old links answer with a permanent redirect.

Categories and sections hold their names per language in a small JSON map
({"fi": {"name": ..., "description": ...}, "en": {...}}): they are a few
rows an admin names once, not documents with a history.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("fi", "en")


class Language(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    ENGLISH = "en", _("English")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Named(models.Model):
    """A category or section: a slug and names per language."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    names = models.JSONField(_("names"), default=dict, blank=True)

    class Meta:
        abstract = True

    def name(self, language: str | None = None) -> str:
        return self._text(language, "name") or self.slug

    def description(self, language: str | None = None) -> str:
        return self._text(language, "description")

    def _text(self, language: str | None, key: str) -> str:
        # Templates call these without an argument: the active language.
        language = (language or get_language() or "fi")[:2]
        mine = (self.names or {}).get(language) or {}
        if mine.get(key):
            return str(mine[key])
        # A missing translation falls back to any language that has one.
        for other in (self.names or {}).values():
            if isinstance(other, dict) and other.get(key):
                return str(other[key])
        return ""


class Category(Named):
    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name("fi")


class Section(Named):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="sections", verbose_name=_("category")
    )
    # A FAQ section's articles are question-and-answer pairs: its page
    # carries FAQPage structured data.
    is_faq = models.BooleanField(_("FAQ section"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name("fi")


class Article(models.Model):
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    internal = models.BooleanField(
        _("internal only"),
        default=False,
        help_text=_("Only agents see it; it never appears in the help centre."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Counters for "popular articles" and the agents' "sent" figure; updated
    # with F() so concurrent readers never lose a count (reads in batches:
    # reads.py).
    views = models.PositiveIntegerField(_("times read"), default=0)
    sent_count = models.PositiveIntegerField(_("times sent"), default=0)
    # "This solved it" under the web form's suggestions: a request not sent.
    deflections = models.PositiveIntegerField(_("requests avoided"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        first = self.translations.first()
        return first.title if first else f"article {self.pk}"

    def translation(self, language: str) -> ArticleTranslation | None:
        for translation in self.translations.all():
            if translation.language == language:
                return translation
        return None


class PublicQuerySet(models.QuerySet["ArticleTranslation"]):
    def public(self) -> PublicQuerySet:
        """What the help centre may show: published, not internal."""
        return self.filter(status=ArticleStatus.PUBLISHED, article__internal=False)


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    slug = models.SlugField(_("slug"), max_length=160)
    title = models.CharField(_("title"), max_length=200)
    description = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences for search engines and lists."),
    )
    body_html = models.TextField(_("body"), blank=True)
    # The body as plain text, made once on save: the index, snippets and
    # meta descriptions read it, never an HTML parser at request time.
    body_text = models.TextField(blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = PublicQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "language"]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="article_one_per_language"
            ),
            models.UniqueConstraint(fields=["language", "slug"], name="article_slug_per_language"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED and not self.article.internal


class ArticleVersion(models.Model):
    """A translation as it was saved once: the history agents diff and restore."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=ArticleStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="article_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.translation} v{self.number}"


class ArticleSlug(models.Model):
    """A slug a translation had before: its old links redirect (301)."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="old_slugs"
    )
    language = models.CharField(max_length=8, choices=Language.choices)
    slug = models.SlugField(max_length=160)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="article_old_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"


class ArticleFeedback(models.Model):
    """A reader's "was this helpful?" answer, with an optional comment."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.translation_id}: {self.helpful}"


def new_version_token() -> str:
    return secrets.token_hex(8)


def new_image_key() -> str:
    return secrets.token_urlsafe(18)


class ArticleImage(models.Model):
    """An image uploaded in the editor; served publicly under /help/images/<key>/.

    The address carries a random key, not the row number: an internal
    article's image cannot be found by counting.
    """

    key = models.CharField(max_length=32, unique=True, default=new_image_key, editable=False)
    file = models.FileField(upload_to="knowledge/%Y/%m/")
    content_type = models.CharField(max_length=60)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.file.name


class ArticleSend(models.Model):
    """An agent put an article into a ticket reply: what "sent" counts."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sends")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"article {self.article_id} on ticket {self.ticket_id}"


class ArticleIndex(models.Model):
    """PostgreSQL's full-text entry of a translation (SQLite: the FTS5 table)."""

    translation = models.OneToOneField(
        ArticleTranslation, on_delete=models.CASCADE, primary_key=True, related_name="index"
    )
    search_vector = SearchVectorField(null=True, blank=True)  # unused on SQLite

    def __str__(self) -> str:
        return f"index of {self.translation_id}"


class HelpCentreSettings(models.Model):
    """The public help centre's branding: one row (pk=1)."""

    name = models.CharField(_("name"), max_length=120, blank=True)
    logo = models.FileField(_("logo"), upload_to="helpcentre/", blank=True)
    logo_content_type = models.CharField(max_length=60, blank=True, editable=False)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f5fa8",
        help_text=_("The accent colour as #rrggbb; dark enough for white text."),
    )
    footer = models.CharField(_("footer text"), max_length=300, blank=True)
    # The portal's default for organisations that have not chosen: may the
    # people of one organisation read each other's requests?
    organisation_requests = models.BooleanField(
        _("colleagues see their organisation's requests"),
        default=False,
        help_text=_(
            "In the customer portal, people of the same organisation see and answer each "
            "other's requests. Each organisation's page can override this."
        ),
    )

    # Customers may set a password for the portal besides the emailed links;
    # off: only links sign in, and passwords set before are not asked for.
    portal_passwords = models.BooleanField(
        _("customers may sign in to the portal with a password"),
        default=True,
        help_text=_(
            "A signed-in customer may set a password and then sign in with it. The emailed "
            "sign-in link always works, also when a password is forgotten."
        ),
    )

    # Other sites (the company's own web pages) that may show the request form
    # in a frame (/help/<lang>/request/embed/): origins, one per line.
    embed_origins = models.TextField(
        _("sites that may embed the request form"),
        blank=True,
        help_text=_(
            "One address per line, like https://www.example.fi. Only these sites may show "
            "the form in a frame; with none, the embeddable form is off."
        ),
    )

    # A new random token on every write that can change a public page
    # (knowledge/public_version.py): the article cache's keys carry it, so one
    # committed write retires every cached page in every process at once.
    # Random rather than a counter so a restored backup or a rolled-back test
    # never meets pages cached under the same value for other content.
    content_version = models.CharField(max_length=32, default=new_version_token, editable=False)

    class Meta:
        verbose_name = _("help centre settings")
        verbose_name_plural = _("help centre settings")

    def __str__(self) -> str:
        return self.name or "help centre"

    @classmethod
    def load(cls) -> HelpCentreSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found

    def embed_origin_list(self) -> list[str]:
        return [line.strip() for line in self.embed_origins.splitlines() if line.strip()]


class Brand(models.Model):
    """A help centre on its own host name (tuki.example.fi), with its own look.

    A request whose Host is `host` gets this brand's help centre: its name,
    logo, colour and footer, only its categories (all of them when none are
    chosen), and web-form tickets tagged with `tag`. Requests on the desk's
    own host names (ALLOWED_HOSTS) keep the help centre of HelpCentreSettings.
    """

    name = models.CharField(_("name"), max_length=120)
    host = models.CharField(
        _("host name"),
        max_length=253,
        unique=True,
        help_text=_("The address customers open, like tuki.example.fi, without https://."),
    )
    logo = models.FileField(_("logo"), upload_to="helpcentre/brands/", blank=True)
    logo_content_type = models.CharField(max_length=60, blank=True, editable=False)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f5fa8",
        help_text=_("The accent colour as #rrggbb; dark enough for white text."),
    )
    footer = models.CharField(_("footer text"), max_length=300, blank=True)
    footer_links = models.TextField(
        _("footer links"),
        blank=True,
        help_text=_("One link a line: the text, a vertical bar and the address."),
    )
    language = models.CharField(
        _("default language"), max_length=2, choices=Language.choices, default=Language.FINNISH
    )
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="brands",
        verbose_name=_("categories"),
        help_text=_("The categories this help centre shows; none chosen shows them all."),
    )
    tag = models.SlugField(
        _("ticket tag"),
        max_length=50,
        help_text=_("Tickets sent from this brand's web form get this tag."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name

    def footer_link_list(self) -> list[tuple[str, str]]:
        """(text, address) pairs; lines the form let through are "text | https://..."."""
        links = []
        for line in self.footer_links.splitlines():
            text, bar, url = line.partition("|")
            if bar and text.strip() and url.strip():
                links.append((text.strip(), url.strip()))
        return links
