"""The API reference page: the OpenAPI document rendered on the server.

No Swagger or Redoc bundle from a CDN (the desk's CSP allows none, and a
desk may run without the internet); the page lists every operation with
its parameters, body and answers, read from the same document as
``/api/v1/schema/``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .v1 import api

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items'))}]"
    return schema.get("type", "")


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for route, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            rows.append(
                {
                    "id": op.get("operationId", f"{method}-{route}"),
                    "method": method.upper(),
                    "path": route,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema")),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "bodies": [
                        {"type": content_type, "schema": _ref_name(spec.get("schema"))}
                        for content_type, spec in body.items()
                    ],
                    "responses": [
                        {
                            "status": status,
                            "schema": _ref_name(
                                spec.get("content", {}).get("application/json", {}).get("schema")
                            ),
                        }
                        for status, spec in op.get("responses", {}).items()
                    ],
                }
            )
    return rows


@login_required
def reference_page(request: HttpRequest) -> HttpResponse:
    document = api.get_openapi_schema()
    schemas = {
        name: json.dumps(spec, indent=2, ensure_ascii=False)
        for name, spec in sorted(document.get("components", {}).get("schemas", {}).items())
    }
    return render(
        request,
        "api/reference.html",
        {
            "info": document.get("info", {}),
            "operations": operations(document),
            "schemas": schemas,
        },
    )
