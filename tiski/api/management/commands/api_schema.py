"""`tiski api-schema`: print the OpenAPI document, or --write the checked-in copy."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tiski.api.openapi import document_text

# The repository's copy, beside the package (an editable install or a checkout).
CHECKED_IN = Path(settings.BASE_DIR).parent / "docs" / "api" / "openapi.json"


class Command(BaseCommand):
    help = "Print the API's OpenAPI 3 document; --write refreshes docs/api/openapi.json."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", action="store_true", help="write docs/api/openapi.json")
        parser.add_argument("--check", action="store_true", help="fail if the copy differs")

    def handle(self, *args, write: bool = False, check: bool = False, **options) -> None:
        text = document_text()
        if check:
            current = CHECKED_IN.read_text() if CHECKED_IN.exists() else ""
            if current != text:
                raise SystemExit(
                    "docs/api/openapi.json is out of date: run tiski api-schema --write"
                )
            self.stdout.write("docs/api/openapi.json is up to date")
        elif write:
            CHECKED_IN.parent.mkdir(parents=True, exist_ok=True)
            CHECKED_IN.write_text(text)
            paths = len(json.loads(text)["paths"])
            self.stdout.write(f"wrote {CHECKED_IN} ({paths} paths)")
        else:
            self.stdout.write(text, ending="")
