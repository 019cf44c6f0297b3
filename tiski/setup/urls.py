"""Settings pages under /settings/ (admins only)."""

from django.urls import path

from tiski.api import client_views as api_clients
from tiski.api.webhooks import views as webhooks
from tiski.sidepanel import settings_views as side_panel

from .urls_editors import urlpatterns as editor_urlpatterns
from .views import (
    agents,
    brands,
    general,
    helpcentre,
    home,
    log,
    priorities,
    surveys,
    synonyms,
    tags,
    teams,
    ticket_fields,
    ticket_types,
)

app_name = "setup"

urlpatterns = [
    path("", home.home, name="home"),
    path("log/", log.change_log, name="log"),
    path("synonyms/", synonyms.synonym_list, name="synonyms"),
    path("synonyms/<int:pk>/", synonyms.synonym_edit, name="synonym-edit"),
    path("synonyms/<int:pk>/delete/", synonyms.synonym_delete, name="synonym-delete"),
    path("onboarding/dismiss/", home.dismiss_onboarding, name="onboarding-dismiss"),
    path("general/", general.general, name="general"),
    path("logo/", general.logo, name="logo"),
    path("agents/", agents.agent_list, name="agents"),
    path("agents/invite/", agents.agent_invite, name="agent-invite"),
    path("agents/<int:pk>/", agents.agent_edit, name="agent-edit"),
    path("agents/<int:pk>/resend/", agents.agent_resend, name="agent-resend"),
    path(
        "invitation/<uidb64>/<token>/",
        agents.InviteAcceptView.as_view(),
        name="invite-accept",
    ),
    path("webhooks/", webhooks.subscription_list, name="webhooks"),
    path("webhooks/new/", webhooks.subscription_edit, name="webhook-new"),
    path("webhooks/<int:pk>/", webhooks.subscription_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/rotate/", webhooks.subscription_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/delete/", webhooks.subscription_delete, name="webhook-delete"),
    path("webhooks/<int:pk>/log/", webhooks.delivery_log, name="webhook-log"),
    path(
        "webhooks/<int:pk>/log/<int:delivery_id>/resend/",
        webhooks.delivery_resend,
        name="webhook-resend",
    ),
    path("api-clients/", api_clients.client_list, name="api-clients"),
    path("api-clients/new/", api_clients.client_new, name="api-client-new"),
    path("api-clients/<int:pk>/secret/", api_clients.client_secret, name="api-client-secret"),
    path("api-clients/<int:pk>/revoke/", api_clients.client_revoke, name="api-client-revoke"),
    path("side-panel/", side_panel.card_list, name="side-panel-cards"),
    path("side-panel/new/", side_panel.card_edit, name="side-panel-card-new"),
    path("side-panel/<int:pk>/", side_panel.card_edit, name="side-panel-card-edit"),
    path("side-panel/<int:pk>/delete/", side_panel.card_delete, name="side-panel-card-delete"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/new/", teams.team_edit, name="team-new"),
    path("teams/<int:pk>/", teams.team_edit, name="team-edit"),
    path("ticket-types/", ticket_types.type_list, name="ticket-types"),
    path("ticket-types/new/", ticket_types.type_edit, name="ticket-type-new"),
    path("ticket-types/<int:pk>/", ticket_types.type_edit, name="ticket-type-edit"),
    path("ticket-types/<int:pk>/move/", ticket_types.type_move, name="ticket-type-move"),
    path("ticket-fields/", ticket_fields.field_list, name="ticket-fields"),
    path("ticket-fields/new/", ticket_fields.field_edit, name="ticket-field-new"),
    path("ticket-fields/<int:pk>/", ticket_fields.field_edit, name="ticket-field-edit"),
    path("ticket-fields/<int:pk>/move/", ticket_fields.field_move, name="ticket-field-move"),
    path("priorities/", priorities.priorities, name="priorities"),
    path("tags/", tags.tag_list, name="tags"),
    path("surveys/", surveys.surveys, name="surveys"),
    path("help-centre/", helpcentre.helpcentre, name="helpcentre"),
    path("help-centre/brands/new/", brands.brand_edit, name="brand-new"),
    path("help-centre/brands/<int:pk>/", brands.brand_edit, name="brand-edit"),
    path("help-centre/brands/<int:pk>/delete/", brands.brand_delete, name="brand-delete"),
    path("tags/<int:pk>/", tags.tag_detail, name="tag"),
]
urlpatterns += editor_urlpatterns
