"""Per-token rate limit: a fixed one-minute window counted in Django's cache.

The cache is whatever the server runs (Redis or the database cache at
scale, process memory in the embedded default), so no extra service is
needed; a window that straddles two processes of the embedded default is
counted per process, which only makes the limit more generous.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Quota:
    limit: int
    used: int
    reset_at: int  # Unix time the window ends

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self, now: float | None = None) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if self.exceeded:
            wait = self.reset_at - int(now if now is not None else time.time())
            headers["Retry-After"] = str(max(1, wait))
        return headers


def hit(bucket: int | str) -> Quota:
    """Count one request for the bucket (a token, or an API client) in the current window."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"tiski:api-rate:{bucket}:{window}"
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, WINDOW_SECONDS * 2)
        used = 1
    return Quota(
        limit=settings.TISKI_API_RATE_LIMIT,
        used=used,
        reset_at=(window + 1) * WINDOW_SECONDS,
    )
