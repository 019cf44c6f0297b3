"""What every ``/api/v2/`` view shares: who is asking, may they, and Zendesk's error shape.

The middleware has read the token (Basic ``email/token`` or Bearer); without
one, the desk's own sign-in is used, with its CSRF check for changes, as in
``/api/v1/``. Reading needs the ``read`` scope, changing ``write``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ..auth import needed_scope
from ..errors import ApiError
from . import errors
from .errors import ZendeskError

View = Callable[..., HttpResponseBase | dict[str, Any]]


def _csrf_refused(request: HttpRequest) -> bool:
    check = CsrfViewMiddleware(lambda _request: HttpResponse())
    return check.process_view(request, None, (), {}) is not None


def _check_access(request: HttpRequest) -> None:
    token = getattr(request, "api_token", None)
    user = request.user
    if not user.is_authenticated or not user.is_active:
        raise errors.unauthenticated()
    if token is None and request.method not in ("GET", "HEAD") and _csrf_refused(request):
        raise ZendeskError(403, "Forbidden", _("The CSRF token is missing or wrong."))
    if token is not None and not token.allows(needed_scope(request)):
        raise ZendeskError(
            403,
            "Forbidden",
            _("This token's scope does not allow this request (it needs %(scope)s).")
            % {"scope": needed_scope(request)},
        )


def _translated(exc: Exception) -> ZendeskError:
    """Errors from the actions and from v1 helpers, in Zendesk's words."""
    if isinstance(exc, ZendeskError):
        return exc
    if isinstance(exc, Http404):
        return errors.not_found()
    if isinstance(exc, PermissionDenied):
        return ZendeskError(403, "Forbidden", str(exc) or _("Not allowed."))
    if isinstance(exc, ValidationError):
        details = {"base": list(exc.messages)}
        if hasattr(exc, "error_dict"):
            details = {
                k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()
            }
        return ZendeskError(422, "RecordInvalid", _("Record validation errors"), details)
    if isinstance(exc, ApiError):
        return ZendeskError(exc.status, "InvalidValue", exc.message, exc.fields, exc.headers)
    raise exc


def endpoint(*methods: str) -> Callable[[View], View]:
    """A Zendesk endpoint answering ``methods``: a dict return is sent as JSON (200)."""

    def wrap(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    raise ZendeskError(
                        405,
                        "InvalidEndpoint",
                        _("This path does not answer %(method)s.") % {"method": request.method},
                    )
                _check_access(request)
                result = view(request, *args, **kwargs)
            except (ZendeskError, Http404, PermissionDenied, ValidationError, ApiError) as exc:
                return errors.from_error(_translated(exc))
            if isinstance(result, HttpResponseBase):
                return result
            return JsonResponse(result)

        # The methods it answers, for the leak walk of every /api/v2/ route.
        run.methods = methods  # type: ignore[attr-defined]
        return run

    return wrap


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The whole JSON object of the body (an empty one when there is no body)."""
    try:
        raw = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise ZendeskError(400, "InvalidJSON", _("The body is not valid JSON.")) from exc
    if not isinstance(raw, dict):
        raise ZendeskError(400, "InvalidJSON", _("The body must be a JSON object."))
    return raw


def body(request: HttpRequest, root: str) -> dict[str, Any]:
    """The object under ``root`` in a JSON body (``{"ticket": {...}}``)."""
    raw = json_body(request)
    inner = raw.get(root)
    if not isinstance(inner, dict):
        raise errors.invalid(root, _("The body must hold a %(root)s object.") % {"root": root})
    return inner


def api_base(request: HttpRequest) -> str:
    """The absolute ``.../api/v2`` of this request, for each object's ``url``."""
    return request.build_absolute_uri("/api/v2").rstrip("/")


def ids_param(request: HttpRequest, name: str = "ids", limit: int = 100) -> list[int]:
    raw = request.GET.get(name, "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise errors.bad_parameter(
            name, _("Give ids as whole numbers, separated by commas.")
        ) from exc
    if len(ids) > limit:
        raise errors.bad_parameter(name, _("At most %(n)s ids.") % {"n": limit})
    return ids
