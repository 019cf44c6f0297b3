""" "Check connection" for Messenger and Instagram, WhatsApp numbers and Telegram bots.

Each check calls the provider with the stored secrets through the channel's
own API module (so a passing check means the sending code works with them)
and says what it found, or what is wrong, in a sentence an admin can act on:
a wrong or expired token, a missing permission, an unknown id, the provider
out of reach. The provider's own words follow in parentheses for whoever
helps them.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiski.connectors.meta import api as meta_api
from tiski.connectors.meta.models import MetaAccount, MetaKind
from tiski.connectors.telegram import api as telegram_api
from tiski.connectors.telegram.models import TelegramBot
from tiski.connectors.transport import TransportError
from tiski.connectors.whatsapp import api as whatsapp_api
from tiski.connectors.whatsapp.models import WhatsAppAccount

from .mailbox_checks import Outcome

# Meta's Graph API error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
_INVALID_TOKEN = 190
_TOKEN_EXPIRED = 463
_NO_PERMISSION = frozenset({3, 10, *range(200, 300)})
_UNKNOWN_OBJECT = 100


def _unreachable(service: str, exc: TransportError) -> str:
    return _(
        "Tiski could not reach %(service)s (%(detail)s). Check that this server can reach "
        "the internet, and the API address if one is set."
    ) % {"service": service, "detail": exc}


def _no_secret(exc: ImproperlyConfigured) -> Outcome:
    # A secret kept as env:NAME whose variable is not set, or one encrypted with another key.
    return Outcome(
        False, _("A secret of this account cannot be read: %(detail)s") % {"detail": exc}
    )


def explain_graph(exc: TransportError, *, what: str, permission: str) -> str:
    """A failed Graph API call (Messenger, Instagram, WhatsApp) as a sentence.

    ``what`` names the id that was looked up ("the page 1045…"), ``permission``
    the one the token needs for messaging.
    """
    detail = {"detail": exc, "what": what, "permission": permission}
    if exc.status is None:
        return _unreachable(_("Meta's Graph API"), exc)
    if exc.code == _INVALID_TOKEN and exc.subcode == _TOKEN_EXPIRED:
        return (
            _(
                "The access token has expired. Make a new one at Meta (a long-lived or system "
                "user token does not expire) and paste it here. (%(detail)s)"
            )
            % detail
        )
    if exc.code == _INVALID_TOKEN or exc.status == 401:
        return (
            _(
                "Meta does not accept the access token: it is mistyped, or it was revoked (a "
                "password change or a removed app does that). Paste a new token. (%(detail)s)"
            )
            % detail
        )
    if exc.code in _NO_PERMISSION or exc.status == 403:
        return (
            _(
                "The token has no permission for %(what)s: it needs %(permission)s, granted by "
                "someone who manages it. (%(detail)s)"
            )
            % detail
        )
    if exc.code == _UNKNOWN_OBJECT or exc.status == 404:
        return (
            _(
                "Meta finds nothing this token may see for %(what)s. Check the ID, and that "
                "the token was made for it. (%(detail)s)"
            )
            % detail
        )
    if not exc.permanent:
        return _("Meta is busy or down at the moment; try again in a while. (%(detail)s)") % detail
    return _("Meta refused the check. (%(detail)s)") % detail


def check_meta(account: MetaAccount) -> Outcome:
    instagram = account.kind == MetaKind.INSTAGRAM
    what = (_("Instagram account %(id)s") if instagram else _("Facebook page %(id)s")) % {
        "id": account.account_id
    }
    permission = "instagram_manage_messages" if instagram else "pages_messaging"
    try:
        found = meta_api.whoami(account)
    except ImproperlyConfigured as exc:
        return _no_secret(exc)
    except TransportError as exc:
        return Outcome(False, explain_graph(exc, what=what, permission=permission))
    if found["id"] != account.account_id:
        return Outcome(
            False,
            _(
                "The token belongs to another page, %(name)s (%(id)s), not to the page "
                "%(expected)s. Paste the token of this page, or correct the page ID."
            )
            % {"name": found["name"] or "?", "id": found["id"], "expected": account.account_id},
        )
    if instagram:
        name = f"@{found['username']}" if found["username"] else found["name"]
        return Outcome(
            True,
            _("Connected: the token can reach the Instagram account %(name)s.")
            % {"name": name or account.account_id},
        )
    return Outcome(
        True,
        _("Connected: the token belongs to the page %(name)s.")
        % {"name": found["name"] or found["id"]},
    )


def check_whatsapp(account: WhatsAppAccount) -> Outcome:
    what = _("phone number ID %(id)s") % {"id": account.phone_number_id}
    try:
        found = whatsapp_api.phone_number(account)
    except ImproperlyConfigured as exc:
        return _no_secret(exc)
    except TransportError as exc:
        return Outcome(
            False, explain_graph(exc, what=what, permission="whatsapp_business_messaging")
        )
    return Outcome(
        True,
        _("Connected: the token can send from %(number)s (%(name)s).")
        % {
            "number": found["display_phone_number"] or account.phone_number_id,
            "name": found["verified_name"] or "?",
        },
    )


def explain_telegram(exc: TransportError) -> str:
    if exc.status is None:
        return _unreachable(_("Telegram's Bot API"), exc)
    if exc.status in (401, 404):
        # 404 is the Bot API's answer to a token that is not even well formed.
        return _(
            "Telegram does not accept the bot token. Copy it again from BotFather (/token "
            "shows it; /revoke makes a new one). (%(detail)s)"
        ) % {"detail": exc}
    if not exc.permanent:
        return _("Telegram is busy or down at the moment; try again in a while. (%(detail)s)") % {
            "detail": exc
        }
    return _("Telegram refused the check. (%(detail)s)") % {"detail": exc}


def check_telegram(bot: TelegramBot, webhook_url: str) -> Outcome:
    """getMe for the token, then getWebhookInfo: does Telegram send the bot's messages to us?"""
    try:
        me = telegram_api.get_me(bot)
        hook = telegram_api.webhook_info(bot)
    except ImproperlyConfigured as exc:
        return _no_secret(exc)
    except TransportError as exc:
        return Outcome(False, explain_telegram(exc))
    name = {"bot": f"@{me.get('username') or me.get('first_name') or me.get('id')}"}
    url = str(hook.get("url") or "")
    if not url:
        return Outcome(
            False,
            _(
                "The token works (%(bot)s), but the bot has no webhook: Telegram keeps its "
                "messages. Press Set webhook."
            )
            % name,
        )
    if url != webhook_url:
        return Outcome(
            False,
            _(
                "The token works (%(bot)s), but Telegram sends the bot's messages to %(url)s, "
                "not to this Tiski (%(ours)s). Press Set webhook."
            )
            % {**name, "url": url, "ours": webhook_url},
        )
    last_error = str(hook.get("last_error_message") or "")
    pending = int(hook.get("pending_update_count") or 0)
    if last_error:
        return Outcome(
            False,
            _(
                "The token and the webhook are right (%(bot)s), but Telegram's last delivery "
                "to Tiski failed: %(error)s."
            )
            % {**name, "error": last_error}
            + " "
            + ngettext("%(count)d message is waiting.", "%(count)d messages are waiting.", pending)
            % {"count": pending},
        )
    return Outcome(True, _("Connected: %(bot)s sends its messages to this Tiski.") % name)
