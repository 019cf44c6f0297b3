from django.contrib import admin
from django.urls import include, path

from tiski.core.views import healthz

admin.site.site_header = "Tiski"
admin.site.site_title = "Tiski"
admin.site.index_title = "Tiski"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("tiski.desk.urls")),
]
