from django.urls import path

from . import views

app_name = "worktime"

urlpatterns = [
    path("tickets/<int:number>/beat/", views.beat, name="beat"),
    path("tickets/<int:number>/record/", views.record, name="record"),
]
