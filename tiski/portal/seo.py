"""What search engines read on every help-centre page: tags and structured data.

One `PageMeta` per page, built by the view and rendered by the base
template: title, description, the one canonical URL, the hreflang
alternates (every language the page exists in, plus x-default), OpenGraph,
and JSON-LD blocks. JSON-LD goes into a <script> element, so "<" is
escaped: an article titled "</script>" must not end the element.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

DESCRIPTION_CHARS = 160


@dataclass
class PageMeta:
    title: str
    description: str
    canonical: str
    alternates: list[tuple[str, str]] = field(default_factory=list)
    og_type: str = "website"
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    image: str = ""

    @property
    def json_ld_blocks(self) -> list[SafeString]:
        return [to_script_json(block) for block in self.json_ld]


def to_script_json(data: dict[str, Any]) -> SafeString:
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - every markup character escaped above


def short(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def breadcrumbs(items: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": url}
            for i, (name, url) in enumerate(items, start=1)
        ],
    }


def article_data(
    *, headline: str, description: str, url: str, language: str, published, modified, publisher: str
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": headline[:110],
        "description": description,
        "inLanguage": language,
        "mainEntityOfPage": url,
        "datePublished": (published or modified).isoformat(),
        "dateModified": modified.isoformat(),
        "author": {"@type": "Organization", "name": publisher},
        "publisher": {"@type": "Organization", "name": publisher},
    }


def faq_data(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": question,
                "acceptedAnswer": {"@type": "Answer", "text": answer},
            }
            for question, answer in pairs
        ],
    }
