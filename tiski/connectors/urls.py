from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("outbox/<int:outbound_id>/retry/", views.retry_outbound, name="outbound-retry"),
    path("messages/<int:row_id>/retry/", views.retry_message, name="message-retry"),
]
