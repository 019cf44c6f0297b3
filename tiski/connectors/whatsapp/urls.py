from django.urls import path

from . import views

app_name = "whatsapp"

urlpatterns = [
    path("<int:account_id>/webhook/", views.webhook, name="webhook"),
]
