"""The articles' full-text index, built like the tickets' (`tiski.search`).

Each translation's title and plain body are stored with the words the
search analysis makes of them (`tiski.search.analysis`: Voikko lemmas and
compound parts, Snowball stems without Voikko), so a query reads the same
tokens on both databases and the query builders of `tiski.search.matching`
work unchanged: the FTS5 table has the tickets' column names (subject =
title, people = the section and category names, body, lemmas, parts) and
the PostgreSQL vector the tickets' weights. Every translation is indexed,
drafts and internal ones too, because agents search them; the public
search filters by status in the same query.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from tiski.search import analysis

from .models import ArticleIndex, ArticleTranslation

FTS_TABLE = "knowledge_article_fts"
GIN_INDEX = "knowledge_article_vector_gin"

_PG_UPSERT = """
INSERT INTO {table} (translation_id, search_vector)
SELECT r.id,
    setweight(to_tsvector('simple', r.title), 'A')
    || setweight(to_tsvector('simple', r.place), 'B')
    || setweight(to_tsvector('simple', r.body), 'C')
    || setweight(array_to_tsvector(array_remove(string_to_array(r.title_tokens, ' '), '')), 'A')
    || setweight(array_to_tsvector(array_remove(string_to_array(r.other_tokens, ' '), '')), 'D')
FROM unnest(%(ids)s::bigint[], %(titles)s::text[], %(places)s::text[], %(bodies)s::text[],
            %(title_tokens)s::text[], %(other_tokens)s::text[])
    AS r(id, title, place, body, title_tokens, other_tokens)
ON CONFLICT (translation_id) DO UPDATE SET search_vector = EXCLUDED.search_vector
"""


def sqlite_schema() -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "subject, people, body, lemmas, parts, tokenize = 'unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS knowledge_translation_delete_fts AFTER DELETE ON "
        f"{ArticleTranslation._meta.db_table} "
        f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
    ]


def _place(translation: ArticleTranslation) -> str:
    section = translation.article.section
    return f"{section.name(translation.language)} {section.category.name(translation.language)}"


def index_translations(ids: Sequence[int]) -> None:
    """(Re)index these translations; call inside the writing transaction."""
    rows = list(
        ArticleTranslation.objects.filter(pk__in=list(ids)).select_related(
            "article__section__category"
        )
    )
    if not rows:
        return
    titles = [analysis.tokens_of_words(analysis.words(r.title)) for r in rows]
    others = [
        [
            t
            for t in analysis.tokens_of_words(analysis.words(_place(r) + "\n" + r.body_text))
            if t not in set(title)
        ]
        for r, title in zip(rows, titles, strict=True)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _PG_UPSERT.format(table=ArticleIndex._meta.db_table),
                {
                    "ids": [r.pk for r in rows],
                    "titles": [r.title for r in rows],
                    "places": [_place(r) for r in rows],
                    "bodies": [r.body_text for r in rows],
                    "title_tokens": [" ".join(t) for t in titles],
                    "other_tokens": [" ".join(t) for t in others],
                },
            )
            return
        listed = ",".join(str(int(r.pk)) for r in rows)
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({listed})")
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, people, body, lemmas, parts) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    r.pk,
                    r.title,
                    _place(r),
                    r.body_text,
                    " ".join(t[1:] for t in title + other if t[0] == analysis.LEMMA),
                    " ".join(t[1:] for t in title + other if t[0] == analysis.PART),
                )
                for r, title, other in zip(rows, titles, others, strict=True)
            ],
        )


def rebuild() -> int:
    """Index every translation again (after a dictionary change or a restore)."""
    ids = list(ArticleTranslation.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        index_translations(ids[start : start + 500])
    return len(ids)
