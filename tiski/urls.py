from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path

from tiski.operations.views import healthz
from tiski.portal.views import robots_txt

admin.site.site_header = "Tiski"
admin.site.site_title = "Tiski"
admin.site.index_title = "Tiski"


def _superusers_only(request: HttpRequest) -> bool:
    """The Django admin is a technical tool: admins work in Settings instead."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("tiski.api.urls")),
    path("preferences/api-tokens/", include("tiski.api.token_urls")),
    path("email/", include("tiski.connectors.email.urls")),
    path("search/", include("tiski.search.urls")),
    path("side-panel/", include("tiski.sidepanel.urls")),
    path("channels/", include("tiski.connectors.urls")),
    path("phone/", include("tiski.connectors.phone.urls")),
    path("sms/", include("tiski.connectors.sms.urls")),
    path("telegram/", include("tiski.connectors.telegram.urls")),
    path("whatsapp/", include("tiski.connectors.whatsapp.urls")),
    path("meta/", include("tiski.connectors.meta.urls")),
    path("chat/", include("tiski.connectors.webchat.urls")),
    path("customers/", include("tiski.customers.urls")),
    path("macros/", include("tiski.macros.urls")),
    path("settings/rules/", include("tiski.rules.urls")),
    path("reports/", include("tiski.reports.urls")),
    path("worktime/", include("tiski.worktime.urls")),
    path("survey/", include("tiski.surveys.urls")),
    path("settings/", include("tiski.setup.urls")),
    path("knowledge/", include("tiski.knowledge.urls")),
    path("help/", include("tiski.portal.urls")),
    path("robots.txt", robots_txt, name="robots"),
    path("", include("tiski.desk.urls")),
]
