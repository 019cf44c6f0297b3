"""The OpenAPI document as stable text: the same code gives the same bytes."""

from __future__ import annotations

import json

from django.utils import translation

from .v1 import api


def document_text() -> str:
    # English, whatever the caller's language: the checked-in copy is compared byte for byte.
    with translation.override("en"):
        document = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
