from django.urls import path

from . import handling, overview_views, views, workload_views
from .metrics import REPORTS

app_name = "reports"

# The live overview is /reports/ itself; each registered report has its own
# named path (/reports/volume/, ...).
urlpatterns = (
    [
        path("", overview_views.overview_page, name="overview"),
        path("handling/", handling.handling_page, name="handling"),
        path("workload/", workload_views.workload_page, name="workload"),
    ]
    + [path(f"{name}/", views.report_view, {"name": name}, name=name) for name in REPORTS]
    + [
        path("<slug:name>/export.<str:fmt>", views.export_view, name="export"),
        path("<slug:name>/subscribe/", views.subscribe_view, name="subscribe"),
    ]
)
