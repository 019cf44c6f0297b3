"""Each agent sees the desk in the language they chose."""

from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    """A logged-in user's own choice wins over the browser's languages.

    Runs after authentication; anonymous pages (login) follow the browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            language = user.language
        else:
            language = translation.get_language_from_request(request) or "fi"
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response
