"""Searching the articles with the tickets' engine and analysis.

The query's words go through `tiski.search.matching` (exact, prefix,
lemma, compound and synonym alternatives), so "laskuihin" finds an article
about "lasku" here just as it finds a ticket. `public=True` is what the help
centre and the web form use: only published, non-internal translations of
one language, filtered in the same statement that matches, so nothing else
can reach a result, a count or a snippet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString

from tiski.core.config_cache import kept
from tiski.search import analysis, matching
from tiski.search.query import ParsedQuery
from tiski.search.service import (
    MARK_END,
    MARK_START,
    highlight,
    mark_inflected,
    query_lemmas,
    synonym_table,
)

from . import public_version
from .indexing import FTS_TABLE
from .models import ArticleIndex, ArticleStatus, ArticleTranslation

MAX_WORDS = 10
# The per-process cache of rendered fragments (settings.CACHES).
SUGGESTION_CACHE = "fragments"


@dataclass(frozen=True)
class ArticleHit:
    translation: ArticleTranslation
    title: SafeString
    snippet: SafeString


def parse(text: str) -> ParsedQuery:
    """Plain words only: in the help centre nothing typed is syntax."""
    return ParsedQuery(terms=tuple(dict.fromkeys(analysis.words(text)))[:MAX_WORDS])


PUBLIC, AGENT, ALL = "public", "agent", "all"


def candidates(
    *, language: str | None, scope: str, categories: Collection[int] | None = None
) -> QuerySet[ArticleTranslation]:
    """PUBLIC: the help centre's; AGENT: published, internal ones too; ALL: every state.

    ``categories``: only articles in these (a brand's help centre); None: any.
    """
    qs = ArticleTranslation.objects.all()
    if scope == PUBLIC:
        qs = qs.public()
    elif scope == AGENT:
        qs = qs.filter(status=ArticleStatus.PUBLISHED)
    if language:
        qs = qs.filter(language=language)
    if categories is not None:
        qs = qs.filter(article__section__category_id__in=list(categories))
    return qs


def _ranked_sqlite(parsed: ParsedQuery, qs: QuerySet, limit: int) -> list[tuple[int, str]]:
    inner, params = qs.order_by().values("pk").query.sql_with_params()
    sql = (
        f"SELECT rowid, snippet({FTS_TABLE}, 2, %s, %s, '…', 24) FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({inner}) "
        f"ORDER BY bm25({FTS_TABLE}, 10.0, 2.0, 1.0, 0.6, 0.3) LIMIT %s"
    )
    match = matching.fts5_match(parsed, synonym_table())
    with connection.cursor() as cursor:
        cursor.execute(sql, [MARK_START, MARK_END, match, *params, limit])
        return list(cursor.fetchall())


def _ranked_postgres(parsed: ParsedQuery, qs: QuerySet, limit: int) -> list[tuple[int, str]]:
    inner, params = qs.order_by().values("pk").query.sql_with_params()
    tsq, tsq_params = matching.postgres_tsquery(parsed, synonym_table())
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    # The ranking sorts only ids and ranks (a top-N sort in memory); the
    # articles' text is read for the page's few hits only. Sorting whole
    # index rows spilled to disk at 10,000 matching articles.
    sql = f"""
        SELECT x.id, ts_headline('simple', left(t.body_text, 20000), {tsq}, %s)
        FROM (
            SELECT i.translation_id AS id, ts_rank(i.search_vector, {tsq}, 1) AS rank
            FROM {ArticleIndex._meta.db_table} i
            WHERE i.search_vector @@ {tsq} AND i.translation_id IN ({inner})
            ORDER BY rank DESC, i.translation_id DESC LIMIT %s
        ) x
        JOIN {ArticleTranslation._meta.db_table} t ON t.id = x.id
        ORDER BY x.rank DESC, x.id DESC
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tsq_params, options, *tsq_params, *tsq_params, *params, limit])
        return list(cursor.fetchall())


def search_articles(
    text: str,
    *,
    language: str | None = None,
    scope: str = PUBLIC,
    limit: int = 20,
    categories: Collection[int] | None = None,
) -> list[ArticleHit]:
    parsed = parse(text)
    if not parsed.terms:
        return []
    qs = candidates(language=language, scope=scope, categories=categories)
    if connection.vendor == "postgresql":
        rows = _ranked_postgres(parsed, qs, limit)
    else:
        rows = _ranked_sqlite(parsed, qs, limit)
    by_id = {
        t.pk: t
        for t in ArticleTranslation.objects.filter(pk__in=[pk for pk, _ in rows]).select_related(
            "article__section__category"
        )
    }
    lemmas = query_lemmas(parsed)
    hits = []
    for pk, snippet in rows:
        translation = by_id.get(pk)
        if translation is None:
            continue
        if not snippet or MARK_START not in snippet:
            snippet = translation.description or translation.body_text[:200]
        hits.append(
            ArticleHit(
                translation,
                highlight(mark_inflected(translation.title, lemmas)),
                highlight(mark_inflected(snippet, lemmas)),
            )
        )
    return hits


def suggest(
    text: str,
    language: str,
    *,
    scope: str = PUBLIC,
    limit: int = 5,
    categories: Collection[int] | None = None,
) -> list[ArticleHit]:
    """Articles matching any of a sentence's longer words, all of them first.

    A whole subject ("Voinko siirtää laskun eräpäivää?") seldom has every
    word in one article; a suggestion should still find the article about
    "eräpäivä".
    """
    found: dict[int, ArticleHit] = {
        hit.translation.pk: hit
        for hit in search_articles(
            text, language=language, scope=scope, limit=limit, categories=categories
        )
    }
    words = [w for w in analysis.words(text) if len(w) >= 4][:MAX_WORDS]
    for word in words:
        if len(found) >= limit:
            break
        for hit in search_articles(
            word, language=language, scope=scope, limit=limit, categories=categories
        ):
            found.setdefault(hit.translation.pk, hit)
    return list(found.values())[:limit]


def suggest_for_ticket(subject: str, language: str) -> list[ArticleHit]:
    """``suggest`` for the ticket page's side panel, from a cache.

    Every ticket page asks for these, and a subject costs up to eleven
    searches. The key holds the help centre's content version, which every
    article write changes in its own transaction (the search index is written
    in the same one), and the synonym table, so a cached answer is never older
    than the articles; old ones age out.
    """
    # Kept by a web process like the desk's lists: `public_version.bump` also
    # changes the lists version (core/config_cache.py).
    version = kept("knowledge:content-version", public_version.current)
    synonyms = hashlib.blake2b(
        json.dumps(synonym_table(), sort_keys=True).encode(), digest_size=8
    ).hexdigest()
    digest = hashlib.blake2b(subject.encode(), digest_size=16).hexdigest()
    key = f"kb-suggest:{version}:{synonyms}:{language}:{digest}"
    cache = caches[SUGGESTION_CACHE]
    hits: list[ArticleHit] | None = cache.get(key)
    if hits is None:
        hits = suggest(subject, language, scope=AGENT)
        cache.set(key, hits)
    return hits
