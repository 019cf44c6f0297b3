"""Serving Tiski over HTTP and websockets with uvicorn (shared by demo and run)."""

from __future__ import annotations

from django.conf import settings


def serve(host: str, port: int, *, reload: bool = False, workers: int = 1) -> None:
    import uvicorn

    # WhiteNoise warns about a missing STATIC_ROOT; an embedded install
    # serves from the apps' folders and simply has nothing collected yet.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        "tiski.asgi:application",
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        lifespan="off",
        proxy_headers=True,
        log_level="info",
    )
