from django.contrib import admin
from django.urls import include, path

from tiski.core.views import healthz

admin.site.site_header = "Tiski"
admin.site.site_title = "Tiski"
admin.site.index_title = "Tiski"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("email/", include("tiski.channels.email.urls")),
    path("search/", include("tiski.search.urls")),
    path("channels/", include("tiski.channels.urls")),
    path("phone/", include("tiski.phone.urls")),
    path("customers/", include("tiski.customers.urls")),
    path("macros/", include("tiski.macros.urls")),
    path("settings/rules/", include("tiski.rules.urls")),
    path("settings/", include("tiski.setup.urls")),
    path("", include("tiski.desk.urls")),
]
