"""The help centre's content version: what the public page cache is keyed by.

Every write that can change what a public page shows (an article's text,
slug, status or internal flag, a category or section, the branding) calls
`bump` inside its own transaction, so the new version commits together with
the change. A reader takes `current` before it reads anything else: a page
rendered from older rows can then only be stored under the older version,
which nobody asks for again.
"""

from __future__ import annotations

from tiski.core import config_cache

from .models import HelpCentreSettings, new_version_token


def current() -> str:
    return HelpCentreSettings.load().content_version


def bump() -> None:
    # The desk's pages keep the version they last read (knowledge/search.py).
    config_cache.changed()
    if not HelpCentreSettings.objects.filter(pk=1).update(content_version=new_version_token()):
        HelpCentreSettings.load()  # the first row is made with a fresh version
