"""The check buttons' sentences for each kind of provider failure (no network, no database)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tiski.connectors.transport import TransportError
from tiski.setup.channel_checks import explain_graph, explain_telegram


def graph(**kw) -> str:
    with translation.override("en"):
        error = TransportError("Meta: detail", **kw)
        return explain_graph(error, what="the page 1", permission="p")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (dict(permanent=False), "could not reach Meta's Graph API"),
        (dict(permanent=True, status=400, code=190, subcode=463), "has expired"),
        (dict(permanent=True, status=400, code=190, subcode=460), "does not accept the access"),
        (dict(permanent=True, status=401), "does not accept the access"),
        (dict(permanent=True, status=403, code=200), "no permission for the page 1: it needs p"),
        (dict(permanent=True, status=400, code=100, subcode=33), "may see for the page 1"),
        (dict(permanent=False, status=400, code=613), "busy or down"),
        (dict(permanent=True, status=400, code=368), "refused the check"),
    ],
)  # fmt: skip
def test_graph_errors(error, words):
    sentence = graph(**error)
    assert words in sentence and "(Meta: detail)" in sentence


def test_telegram_errors():
    with translation.override("en"):
        assert "does not accept the bot token" in explain_telegram(
            TransportError("Telegram getMe: HTTP 404: Not Found", permanent=True, status=404)
        )
        assert "could not reach Telegram" in explain_telegram(
            TransportError("api.telegram.org: timed out", permanent=False)
        )
        assert "busy or down" in explain_telegram(
            TransportError("Telegram getMe: HTTP 502", permanent=False, status=502)
        )
