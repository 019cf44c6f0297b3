"""The Origin header, read the same way for the websocket and HTTP."""

from __future__ import annotations

from typing import Any


def origin_of_scope(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin-1")
    return ""
