from django.urls import path

from . import views

app_name = "sms"

urlpatterns = [
    path("<int:account_id>/inbound/", views.inbound, name="inbound"),
    path("<int:account_id>/status/", views.status, name="status"),
]
