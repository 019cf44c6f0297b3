"""The ticket page's side-panel cards (HTMX fragments); Settings pages are in setup's urls."""

from django.urls import path

from . import views

app_name = "sidepanel"

urlpatterns = [
    path("<int:number>/", views.ticket_cards, name="cards"),
    path("<int:number>/<int:card_id>/", views.card_body, name="card"),
]
