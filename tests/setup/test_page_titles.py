"""Every page of the Settings menu names itself in the browser tab.

A tab that says only "Settings" is one of many alike when an admin has
several open; the menu's pages each carry their own title.
"""

from __future__ import annotations

import re

from django.urls import reverse


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "page has no <title>"
    return " ".join(match.group(1).split())


def test_each_settings_menu_page_has_its_own_title(admin_session):
    home = admin_session.get(reverse("setup:home")).content.decode()
    generic = _title(home)
    menu = re.search(r'<nav[^>]*class="[^"]*settings-nav[^"]*".*?</nav>', home, re.S)
    links = re.findall(r'href="(/settings/[^"]+)"', menu.group(0) if menu else home)
    assert len(links) > 10
    plain = [
        link
        for link in dict.fromkeys(links)
        if _title(admin_session.get(link).content.decode()) == generic
    ]
    assert plain == []
