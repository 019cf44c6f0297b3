"""How articles are used in the desk: the tickets each one helped solve.

An article put into a reply is recorded as an `ArticleSend`. It counts as
having solved a ticket while that ticket is solved or closed: counted when
the list is read, so a reopened ticket stops counting and nothing has to be
kept in step when a ticket changes.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from tiski.tickets.models import Status

from .models import Article, ArticleSend

SOLVED_STATUSES = (Status.SOLVED, Status.CLOSED)


def with_solved_counts(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Each article with ``solved_count``: distinct solved tickets it was sent on."""
    solved = (
        ArticleSend.objects.filter(article=OuterRef("pk"), ticket__status__in=SOLVED_STATUSES)
        .order_by()
        .values("article")
        .annotate(n=Count("ticket", distinct=True))
        .values("n")
    )
    return articles.annotate(
        solved_count=Coalesce(Subquery(solved, output_field=IntegerField()), Value(0))
    )
