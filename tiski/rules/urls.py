"""The desk's rule settings, under /settings/rules/ (admins only)."""

from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("", views.settings_home, name="home"),
    path("builder/row/", views.builder_row, name="builder-row"),
]

# The same pages for both kinds of rule; the kind travels as a view argument.
for kind, segment in (("trigger", "triggers"), ("time", "time-rules")):
    extra = {"kind": kind}
    urlpatterns += [
        path(f"{segment}/", views.rule_list, extra, name=f"{kind}-list"),
        path(f"{segment}/new/", views.rule_edit, extra, name=f"{kind}-new"),
        path(f"{segment}/order/", views.rule_order, extra, name=f"{kind}-order"),
        path(f"{segment}/<int:pk>/", views.rule_edit, extra, name=f"{kind}-edit"),
        path(f"{segment}/<int:pk>/active/", views.rule_active, extra, name=f"{kind}-active"),
        path(f"{segment}/<int:pk>/move/", views.rule_move, extra, name=f"{kind}-move"),
        path(
            f"{segment}/<int:pk>/duplicate/", views.rule_duplicate, extra, name=f"{kind}-duplicate"
        ),
        path(f"{segment}/<int:pk>/delete/", views.rule_delete, extra, name=f"{kind}-delete"),
        path(f"{segment}/<int:pk>/firings/", views.rule_firings, extra, name=f"{kind}-firings"),
    ]
