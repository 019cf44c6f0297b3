from django.urls import path

from . import views

app_name = "phone"

urlpatterns = [
    path("events/", views.call_events, name="events"),
    path("calls/<int:pk>/pop/", views.pop, name="pop"),
    path("calls/<int:pk>/log/", views.log_call, name="log"),
    path("dial/", views.dial, name="dial"),
]
