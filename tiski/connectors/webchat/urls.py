from django.urls import path

from . import views

app_name = "webchat"

urlpatterns = [
    path("<str:public_key>/widget.js", views.widget_js, name="widget_js"),
    path("<str:public_key>/config", views.config, name="config"),
    path("<str:public_key>/history", views.history, name="history"),
    path("<str:public_key>/upload", views.upload, name="upload"),
]
