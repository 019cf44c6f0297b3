"""Settings-like rows read once per request, however many places ask.

A desk page asks for the same small tables from several places (the priority
labels for the side panel's select, the bulk bar's select and every list
row's badge). ``DeskSettingsMiddleware`` opens a scope for each logged-in
request; inside it ``remembered(key, read)`` reads once and hands the same
value back. Outside a request (tasks, commands, tests calling functions) it
simply reads. Only for rows a request does not change before reading again:
the pages that edit them save and redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_scope: ContextVar[dict[str, Any] | None] = ContextVar("tiski_request_memo", default=None)
# The desk's lists version for this request (core/config_cache.py), or None.
_VERSION = "\0lists-version"


@contextmanager
def request_scope(lists_version: str | None = None) -> Iterator[None]:
    token = _scope.set({_VERSION: lists_version})
    try:
        yield
    finally:
        _scope.reset(token)


def lists_version() -> str | None:
    memo = _scope.get()
    return None if memo is None else memo[_VERSION]


def remembered(key: str, read: Callable[[], T]) -> T:
    memo = _scope.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]
