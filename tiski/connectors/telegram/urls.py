from django.urls import path

from . import views

app_name = "telegram"

urlpatterns = [
    path("<int:bot_id>/webhook/", views.webhook, name="webhook"),
]
