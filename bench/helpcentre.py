"""Help-centre benchmark: the public article page and search at 10,000 articles.

    .venv/bin/python bench/helpcentre.py [--articles 10000] [--requests 200] [--reuse] [--label x]
    # --database-url postgres://postgres@127.0.0.1:5432/tiski_help_bench (or DATABASE_URL)

1. Creates the database if missing, migrates it and, unless ``--reuse``,
   empties the knowledge tables and bulk-inserts N published Finnish
   articles (plain INSERTs: setup speed is not what is measured), then
   builds their search index with `tiski.knowledge.indexing.rebuild` (that
   time is a figure of its own: it is what an import would cost).
2. Times N sequential requests per page in this process through Django's
   test client (the whole middleware stack and templates, no network):
   an article page, search for a word in one article, search for a word in
   many, and the sitemap once.
3. Writes the figures to bench/results/helpcentre-<date>[-label].json.

Targets (issue 18): an article p95 < 50 ms, search p95 < 150 ms. It never
asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_help_bench"
WORDS = (
    "lasku eräpäivä toimitus paketti palautus kahvinkeitin tulostin takuu huolto tilaus "
    "osoite maksu kortti verkkokauppa salasana kirjautuminen vaihto hyvitys muistutus "
    "asennus suodatin kalkinpoisto vesisäiliö virta näyttö ohje asiakas puhelin"
).split()


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count: int, seed: int = 18) -> dict[str, float]:
    from django.db import connection, transaction
    from django.utils import timezone

    from tiski.knowledge import actions, indexing
    from tiski.knowledge.models import Article, ArticleTranslation, Category, Section

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        ArticleTranslation.objects.all().delete()
        Article.objects.all().delete()
        Section.objects.all().delete()
        Category.objects.all().delete()
        category = actions.create_category("bench", {"fi": {"name": "Bench"}})
        sections = [
            actions.create_section(category, f"osio-{i}", {"fi": {"name": f"Osio {i}"}})
            for i in range(20)
        ]
        articles = Article.objects.bulk_create(
            [Article(section=sections[i % len(sections)]) for i in range(count)], batch_size=2000
        )
        now = timezone.now()
        rows = []
        for i, article in enumerate(articles):
            words = " ".join(rng.choice(WORDS) for _ in range(120))
            title = f"Ohje {i}: {rng.choice(WORDS)} ja {rng.choice(WORDS)}"
            body = f"<h2>{title}</h2><p>{words}</p><p>tunniste{i}</p>"
            rows.append(
                ArticleTranslation(
                    article=article,
                    language="fi",
                    slug=f"ohje-{i}",
                    title=title,
                    body_html=body,
                    body_text=actions.html_to_text(body),
                    status="published",
                    updated_at=now,
                    published_at=now,
                )
            )
        ArticleTranslation.objects.bulk_create(rows, batch_size=2000)
    inserted = time.perf_counter()
    with transaction.atomic():
        indexing.rebuild()
    if connection.vendor == "postgresql":
        # As autovacuum would soon after an import: plans need the new row counts.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"insert_s": inserted - started, "index_s": time.perf_counter() - inserted}


def measure(client: Any, path: str, requests: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()

    def pct(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(len(timings) * p))], 1)

    return {
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "requests_per_s": round(1000 / statistics.mean(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client

    setup = {} if args.reuse else fill(args.articles)
    client = Client()
    middle = args.articles // 2
    pages = {
        "article": f"/help/fi/articles/ohje-{middle}/",
        "search_selective": f"/help/fi/search/?q=tunniste{middle}",
        "search_common": "/help/fi/search/?q=laskuja",
    }
    figures = {name: measure(client, path, args.requests) for name, path in pages.items()}
    figures["sitemap"] = measure(client, "/help/sitemap.xml", 3, warmup=1)
    result = {
        "run": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "database": connection.vendor,
        "articles": args.articles,
        "requests": args.requests,
        "setup": setup,
        "pages": {
            name: {"path": pages.get(name, "/help/sitemap.xml"), **f} for name, f in figures.items()
        },
        "targets_p95_ms": {"article": 50, "search_selective": 150, "search_common": 150},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out = RESULTS / f"helpcentre-{stamp}{'-' + args.label if args.label else ''}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
