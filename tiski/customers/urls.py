from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    path("contacts/<int:pk>/merge/", views.contact_merge, name="contact-merge"),
    path(
        "organisations/<int:pk>/timeline/",
        views.organisation_timeline,
        name="organisation-timeline",
    ),
    path("merges/", views.merge_suggestions, name="merge-suggestions"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge-undo"),
]
