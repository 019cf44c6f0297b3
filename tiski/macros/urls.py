from django.urls import path

from . import views

app_name = "macros"

urlpatterns = [
    path("<int:number>/suggest/", views.suggest, name="suggest"),
    path("<int:number>/shortcut/", views.by_shortcut, name="shortcut"),
    path("<int:number>/<int:pk>/", views.expand, name="expand"),
]
