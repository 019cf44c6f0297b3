from django.urls import path

from . import polling, views

app_name = "webchat"

urlpatterns = [
    path("<str:public_key>/widget.js", views.widget_js, name="widget_js"),
    path("<str:public_key>/config", views.config, name="config"),
    path("<str:public_key>/history", views.history, name="history"),
    path("<str:public_key>/upload", views.upload, name="upload"),
    # The long-polling fallback where no websocket opens (polling.py).
    path("<str:public_key>/send", polling.send, name="send"),
    path("<str:public_key>/poll", polling.poll, name="poll"),
]
