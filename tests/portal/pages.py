"""Reading the help centre's HTML with the standard library's parser."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    title: str = ""
    links: list[dict[str, str]] = field(default_factory=list)
    metas: list[dict[str, str]] = field(default_factory=list)
    json_ld: list[dict] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    text: str = ""

    def meta(self, key: str) -> list[str]:
        return [
            m.get("content", "") for m in self.metas if key in (m.get("name"), m.get("property"))
        ]

    def rel(self, rel: str) -> list[dict[str, str]]:
        return [link for link in self.links if link.get("rel") == rel]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._in: str | None = None
        self._buffer: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        values = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.page.links.append(values)
        elif tag == "meta":
            self.page.metas.append(values)
        elif tag == "a" and "href" in values:
            self.page.hrefs.append(values["href"])
        elif tag == "title" or (tag == "script" and values.get("type") == "application/ld+json"):
            self._in = tag
            self._buffer = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == self._in:
            content = "".join(self._buffer)
            if tag == "title":
                self.page.title = content
            else:
                self.page.json_ld.append(json.loads(content))
            self._in = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._in:
            self._buffer.append(data)
        self._text.append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.page.text = " ".join(parser._text)
    return parser.page
