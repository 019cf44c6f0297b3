"""Read a rendered form the way a browser submits it, and find elements by id.

Round-trip tests post exactly what the page shows, so they catch an input
the template forgot or renders with the wrong value, not just the builder's
Python half.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"input", "br", "img", "hr", "meta", "link", "area", "base", "col", "source", "wbr"}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.pairs: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
            return
        if not self.in_form or "form" in a or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file") or "name" not in a:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value", "on")))
                return
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select" and "name" in a:
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and "name" in a:
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self._select["multiple"] and options:
                chosen = [options[0]]  # a single select always sends something
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"]
                self.pairs.append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # HTML drops one newline right after <textarea>.
            if text.startswith("\n"):
                text = text[1:]
            self.pairs.append((self._textarea["name"], text))
            self._textarea = None


def form_pairs(html: str, form_id: str) -> list[tuple[str, str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.pairs


def form_data(html: str, form_id: str) -> dict[str, list[str]]:
    """The posted form as a dict of lists (what the test client posts)."""
    data: dict[str, list[str]] = {}
    for name, value in form_pairs(html, form_id):
        data.setdefault(name, []).append(value)
    return data


class _ElementFinder(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=False)
        self.element_id = element_id
        self.depth = 0
        self.tag = ""
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.depth == 0 and dict(attrs).get("id") == self.element_id:
            self.tag, self.depth = tag, 1
            self.parts.append(self.get_starttag_text() or "")
            return
        if self.depth:
            self.parts.append(self.get_starttag_text() or "")
            if tag == self.tag and tag not in VOID:
                self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and not self.done:
            self.parts.append(f"</{tag}>")
            if tag == self.tag:
                self.depth -= 1
                self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def element(html: str, element_id: str) -> str:
    """The outer HTML of the element with this id ("" when there is none)."""
    finder = _ElementFinder(element_id)
    finder.feed(html)
    return "".join(finder.parts)
