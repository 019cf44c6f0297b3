"""URLs of the email channel: ESP inbound webhooks and the OAuth2 connect flow."""

from django.urls import path

from . import oauth_views, webhook_views

app_name = "email"

urlpatterns = [
    path(
        "inbound/<str:provider>/<int:mailbox_id>/",
        webhook_views.inbound,
        name="inbound",
    ),
    path("oauth/connect/<int:mailbox_id>/", oauth_views.connect, name="oauth-connect"),
    path("oauth/callback/", oauth_views.callback, name="oauth-callback"),
]
