from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    bulk,
    chat_availability,
    children,
    collab,
    contacts,
    notifications,
    preferences,
    push_subscriptions,
    side_conversations,
    views,
    whatsapp_templates,
)

app_name = "desk"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="desk/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tickets/counts/", views.view_counts, name="view-counts"),
    path("tickets/new/", views.ticket_create, name="ticket-new"),
    path("tickets/next/", views.next_ticket, name="ticket-next"),
    path("tickets/bulk/", bulk.bulk_action, name="bulk"),
    path("tickets/bulk/<int:pk>/undo/", bulk.bulk_undo, name="bulk-undo"),
    path("tickets/<int:number>/", views.ticket_view, name="ticket"),
    path(
        "tickets/<int:number>/conversation/", views.ticket_conversation, name="ticket-conversation"
    ),
    path(
        "tickets/<int:number>/conversation/older/",
        views.ticket_conversation_older,
        name="ticket-conversation-older",
    ),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="ticket-reply"),
    path(
        "tickets/<int:number>/whatsapp-template/",
        whatsapp_templates.send_template,
        name="ticket-whatsapp-template",
    ),
    path("tickets/<int:number>/forward/", views.ticket_forward, name="ticket-forward"),
    path("tickets/<int:number>/update/", views.ticket_update, name="ticket-update"),
    path("tickets/<int:number>/take/", views.take_ticket, name="ticket-take"),
    path("tickets/<int:number>/merge/", views.ticket_merge, name="ticket-merge"),
    path("tickets/<int:number>/follow/", collab.follow_toggle, name="ticket-follow"),
    path("tickets/<int:number>/escalate/", collab.ticket_escalate, name="ticket-escalate"),
    path(
        "tickets/<int:number>/solve-anyway/",
        collab.solve_override,
        name="ticket-solve-override",
    ),
    path("tickets/<int:number>/mentions/", collab.mention_suggest, name="ticket-mentions"),
    path("tickets/<int:number>/side/", side_conversations.side_panel, name="side-panel"),
    path("tickets/<int:number>/side/new/", side_conversations.side_start, name="side-start"),
    path(
        "tickets/<int:number>/side/<int:side_id>/reply/",
        side_conversations.side_reply,
        name="side-reply",
    ),
    path(
        "tickets/<int:number>/side/<int:side_id>/close/",
        side_conversations.side_close,
        name="side-close",
    ),
    path("tickets/<int:number>/children/new/", children.child_ticket_new, name="ticket-child-new"),
    path("tickets/<int:number>/merge/undo/", views.ticket_merge_undo, name="ticket-merge-undo"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/move/",
        views.message_move,
        name="message-move",
    ),
    path("attachments/<int:pk>/<path:filename>", views.attachment_download, name="attachment"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/lookup/", views.contact_lookup, name="contact-lookup"),
    path("contacts/new/", contacts.contact_edit, name="contact-new"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact-edit"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", contacts.organisation_edit, name="organisation-new"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/edit/", contacts.organisation_edit, name="organisation-edit"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_read, name="notifications-read"),
    path(
        "notifications/<int:pk>/open/",
        notifications.notification_open,
        name="notification-open",
    ),
    path("preferences/", preferences.preferences, name="preferences"),
    path("preferences/push/", push_subscriptions.subscribe, name="push-subscribe"),
    path(
        "preferences/push/<int:pk>/remove/",
        push_subscriptions.remove,
        name="push-remove",
    ),
    path("preferences/language/", views.set_language, name="set-language"),
    path(
        "preferences/chat/",
        chat_availability.set_chat_availability,
        name="set-chat-availability",
    ),
]
