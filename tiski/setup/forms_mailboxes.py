"""The mailbox form of the Settings area: plain sentences for every mistake."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.forms import SECRET_FIELDS, MailboxSecretsForm, secret_widgets
from tiski.connectors.models import AuthMethod, InboundMethod, Mailbox, OutboundMethod
from tiski.core.placeholders import ALLOWED_PLACEHOLDERS, unknown_placeholders

ACK_TEXTS = ("ack_subject_fi", "ack_body_fi", "ack_subject_en", "ack_body_en")
# What the settings log shows instead of a secret: that it changed, never what to.
MASK = "••••••"


# The edit page's fieldsets: (legend, CSS class that shows them, fields).
GROUPS = (
    (
        _("Mailbox"),
        "",
        ("address", "display_name", "active", "default_team", "default_type", "signature"),
    ),
    (_("Sign-in"), "", ("auth_method", "oauth_client_id", "oauth_client_secret", "oauth_tenant")),
    (
        _("Incoming mail"),
        "",
        (
            "inbound_method",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_done_folder",
            "imap_idle",
        ),
    ),
    (
        _("Outgoing mail"),
        "",
        (
            "outbound_method",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "esp",
            "esp_api_key",
            "webhook_secret",
        ),
    ),
    (_("Acknowledgement"), "", ("auto_acknowledge", *ACK_TEXTS)),
    (
        _("Threading and limits"),
        "",
        ("thread_by_subject_days", "max_message_bytes", "clear_secrets"),
    ),
)
# Fields shown only for one choice of a method (CSS reads the data attribute).
SHOWN_WHEN = {
    **{n: "auth-oauth" for n in ("oauth_client_id", "oauth_client_secret", "oauth_tenant")},
    **{n: "in-imap" for n in GROUPS[2][2][1:]},
    **{
        n: "out-smtp"
        for n in ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password")
    },
    **{n: "out-esp" for n in ("esp", "esp_api_key")},
    "webhook_secret": "in-webhook",
    "imap_password": "in-imap auth-password",
    "smtp_password": "out-smtp auth-password",
}


class MailboxForm(MailboxSecretsForm):
    """Secrets are write-only (`MailboxSecretsForm`); every mistake in a sentence."""

    class Meta:
        model = Mailbox
        # OAuth tokens come from the sign-in flow, never typed in.
        fields = (
            "address",
            "display_name",
            "active",
            "default_team",
            "default_type",
            "signature",
            "auto_acknowledge",
            *ACK_TEXTS,
            "auth_method",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_tenant",
            "inbound_method",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_done_folder",
            "imap_idle",
            "outbound_method",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "esp",
            "esp_api_key",
            "webhook_secret",
            "thread_by_subject_days",
            "max_message_bytes",
        )
        help_texts = {
            "ack_body_fi": _(
                "Sent to customers who write in. You can use {{ ticket.number }}, "
                "{{ ticket.subject }}, {{ requester.first_name }} and the other placeholders "
                "of ready answers."
            ),
        }
        widgets = {
            **secret_widgets(),
            "signature": forms.Textarea(attrs={"rows": 4}),
            "ack_body_fi": forms.Textarea(attrs={"rows": 5}),
            "ack_body_en": forms.Textarea(attrs={"rows": 5}),
        }

    def groups(self) -> list[tuple[Any, list[tuple[forms.BoundField, str]]]]:
        return [
            (legend, [(self[name], SHOWN_WHEN.get(name, "")) for name in names])
            for legend, _css, names in GROUPS
        ]

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # secrets kept or cleared by MailboxSecretsForm
        self._check_connection(data)
        for name in ACK_TEXTS:
            unknown = unknown_placeholders(data.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("%(names)s is not a placeholder Tiski knows. You can use: %(allowed)s.")
                    % {
                        "names": ", ".join(f"{{{{ {n} }}}}" for n in unknown),
                        "allowed": ", ".join(f"{{{{ {p} }}}}" for p in ALLOWED_PLACEHOLDERS),
                    },
                )
        if data.get("auto_acknowledge") and not (
            (data.get("ack_body_fi") or "").strip() or (data.get("ack_body_en") or "").strip()
        ):
            self.add_error(
                "ack_body_fi",
                _("Write the acknowledgement text in at least one language, or turn it off."),
            )
        return data

    def _require(self, data: dict[str, Any], name: str, message: str) -> None:
        if not str(data.get(name) or "").strip() and name not in self.errors:
            self.add_error(name, message)

    def _check_connection(self, data: dict[str, Any]) -> None:
        oauth = data.get("auth_method") in (AuthMethod.MICROSOFT, AuthMethod.GOOGLE)
        if oauth:
            self._require(
                data,
                "oauth_client_id",
                _("Sign-in with Microsoft or Google needs the client id of your app registration."),
            )
        if data.get("inbound_method") == InboundMethod.IMAP:
            self._require(data, "imap_host", _("Give the IMAP server, e.g. imap.example.com."))
            self._require(data, "imap_username", _("Give the user name for the IMAP server."))
            if not oauth:
                self._require(data, "imap_password", _("Give the password for the IMAP server."))
        if data.get("outbound_method") == OutboundMethod.SMTP:
            self._require(data, "smtp_host", _("Give the SMTP server, e.g. smtp.example.com."))
            if data.get("smtp_username") and not oauth:
                self._require(
                    data,
                    "smtp_password",
                    _(
                        "Give the SMTP password, or leave the user name empty to send "
                        "without login."
                    ),
                )
        if data.get("outbound_method") == OutboundMethod.ESP:
            self._require(data, "esp", _("Choose the email service that sends the mail."))

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """The settings-log entry with secrets masked: that they changed, never their value."""
        for name in SECRET_FIELDS:
            old, new = self.old_secrets[name], self.cleaned_data.get(name) or ""
            if old != new:
                changes[name] = [MASK if old else "", MASK if new else ""]
            else:
                changes.pop(name, None)
        changes.pop("clear_secrets", None)
        return changes


class TestMailForm(forms.Form):
    to = forms.EmailField(label=_("Send the test mail to"))
