"""The search index of tickets, and the searches agents keep.

One `SearchDocument` per ticket says that the ticket is indexed, in which
language, and when. The full text itself lives where each database searches
best: on PostgreSQL in `search_vector` (a stored tsvector with a GIN index
made by the migration); on SQLite in the FTS5 table ``search_ticket_fts``
(rowid = ticket id) that the migration creates, where `search_vector` stays
empty. `tiski.search.indexing` writes both.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.cache import cache
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from tiski.tickets.models import Ticket


class IndexLanguage(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    ENGLISH = "en", _("English")
    SIMPLE = "simple", _("Any language")


# PostgreSQL text search configuration per index language.
TEXT_SEARCH_CONFIGS = {
    IndexLanguage.FINNISH: "finnish",
    IndexLanguage.ENGLISH: "english",
    IndexLanguage.SIMPLE: "simple",
}


class SearchDocument(models.Model):
    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    language = models.CharField(
        max_length=8, choices=IndexLanguage.choices, default=IndexLanguage.SIMPLE
    )
    # The regconfig name the vector was built with; headlines must parse the
    # text with the same one.
    config = models.CharField(max_length=20, default="simple")
    # PostgreSQL only (a tsvector column is harmless, and unused, on SQLite).
    search_vector = SearchVectorField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"search document of ticket {self.ticket_id}"


class SavedSearch(models.Model):
    """A query an agent named; it becomes one of their personal views."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=500)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("search:search") + "?" + urlencode({"q": self.query})


SYNONYM_CACHE_KEY = "tiski.search.synonyms"


class SynonymGroup(models.Model):
    """Words an admin says mean the same to search ("lasku, faktuura").

    Applied when a query is read: any word of the group finds the others
    in every form, so changing the list needs no reindexing.
    """

    words = models.CharField(
        _("words"),
        max_length=500,
        help_text=_("Words that mean the same, separated by commas: lasku, faktuura"),
    )

    class Meta:
        ordering = ["words", "id"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return self.words

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        cache.delete(SYNONYM_CACHE_KEY)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = super().delete(*args, **kwargs)
        cache.delete(SYNONYM_CACHE_KEY)
        return result

    def word_list(self) -> list[str]:
        return [w.strip() for w in self.words.split(",") if w.strip()]


class SearchTerm(models.Model):
    """A word as written somewhere in the indexed text, for typo correction.

    Only grows: a word whose tickets are gone only makes a correction that
    finds nothing. The first and last three letters are indexed, because a
    word one typing error away from another shares at least one of them
    when it has six letters or more.
    """

    term = models.CharField(max_length=40, primary_key=True)
    head = models.CharField(max_length=3)
    tail = models.CharField(max_length=3)
    length = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [
            models.Index(fields=["head", "length"], name="search_term_head"),
            models.Index(fields=["tail", "length"], name="search_term_tail"),
        ]

    def __str__(self) -> str:
        return self.term
