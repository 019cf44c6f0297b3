from django.urls import path

from . import views

app_name = "meta"

urlpatterns = [
    path("<int:account_id>/webhook/", views.webhook, name="webhook"),
]
