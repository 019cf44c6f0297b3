from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("suggest/", views.suggest_view, name="suggest"),
    path("saved/", views.save_search, name="save"),
    path("saved/delete/", views.delete_search, name="delete"),
]
