"""The widget's HTTP side: the script, its settings and the history, CORS per widget."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import availability, services, uploads
from .models import ChatWidget

WIDGET_JS = Path(__file__).resolve().parent / "static" / "webchat" / "widget.js"


@lru_cache(maxsize=1)
def _widget_source() -> bytes:
    return WIDGET_JS.read_bytes()


def _widget(public_key: str) -> ChatWidget:
    return get_object_or_404(ChatWidget, public_key=public_key, active=True)


def cors(response: HttpResponse, request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    """CORS headers only for the widget's own sites; everyone else gets none (and a 403)."""
    origin = request.headers.get("Origin", "")
    response["Vary"] = "Origin"
    if widget.allows_origin(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        # X-Chat-Token: the long-poll's visitor token (polling.py).
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Chat-Token"
        response["Access-Control-Max-Age"] = "600"
    return response


def origin_refused(request: HttpRequest, widget: ChatWidget) -> HttpResponse | None:
    if widget.allows_origin(request.headers.get("Origin", "")):
        return None
    return JsonResponse({"error": "origin"}, status=403)


@require_GET
def widget_js(request: HttpRequest, public_key: str) -> HttpResponse:
    """The script a site embeds; a plain <script> tag sends no Origin, so none is checked."""
    _widget(public_key)
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    # The site's page runs it; our own page policy would only confuse.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def config(request: HttpRequest, public_key: str) -> HttpResponse:
    widget = _widget(public_key)
    refused = origin_refused(request, widget)
    if refused is not None:
        return cors(refused, request, widget)
    lang = services.language_of(request.GET.get("lang", ""))
    data = {
        "name": widget.name,
        "greeting": widget.greeting(lang),
        "offline_message": widget.offline_message,
        "available": availability.available(widget),
    }
    return cors(JsonResponse(data), request, widget)


@csrf_exempt  # no cookies are used: the visitor token in the body is the credential
def history(request: HttpRequest, public_key: str) -> HttpResponse:
    widget = _widget(public_key)
    if request.method == "OPTIONS":
        return cors(HttpResponse(status=204), request, widget)
    if request.method != "POST":
        return HttpResponse(status=405)
    refused = origin_refused(request, widget)
    if refused is not None:
        return cors(refused, request, widget)
    try:
        token = str(json.loads(request.body or b"{}").get("token") or "")
    except (ValueError, AttributeError):
        return cors(JsonResponse({"error": "bad_request"}, status=400), request, widget)
    session = services.session_for(widget, token)
    if session is None:
        return cors(JsonResponse({"error": "unknown"}, status=404), request, widget)
    data = {"identified": session.contact_id is not None, "history": services.history(session)}
    return cors(JsonResponse(data), request, widget)


@csrf_exempt  # no cookies are used: the visitor token in the form is the credential
def upload(request: HttpRequest, public_key: str) -> HttpResponse:
    """A file from the visitor: ``token``, ``client_id`` (resends are acks) and ``file``."""
    widget = _widget(public_key)
    if request.method == "OPTIONS":
        return cors(HttpResponse(status=204), request, widget)
    if request.method != "POST":
        return HttpResponse(status=405)
    refused = origin_refused(request, widget)
    if refused is not None:
        return cors(refused, request, widget)
    session = services.session_for(widget, request.POST.get("token", ""))
    if session is None:
        return cors(JsonResponse({"error": "unknown_session"}, status=404), request, widget)
    upload = request.FILES.get("file")
    client_id = request.POST.get("client_id", "")
    if upload is None:
        return cors(JsonResponse({"error": "bad_request"}, status=400), request, widget)
    try:
        attachment = uploads.checked(upload)
        received = services.receive(
            session,
            client_id=client_id,
            text=request.POST.get("text", ""),
            attachments=[attachment],
        )
    except ValidationError as exc:
        code = exc.code if exc.code in ("too_large", "bad_type") else "not_sent"
        status = 413 if code == "too_large" else 400
        return cors(JsonResponse({"error": code}, status=status), request, widget)
    services.touch(session.pk)
    return cors(JsonResponse({"client_id": client_id, "id": received.message_id}), request, widget)
