"""The Telegram channel: a bot's webhook, its updates as messages, replies by sendMessage.

Shaped like SMS (docs/channels.md): ``views`` check the webhook's secret
token and accept the update into the durable intake (keyed by update_id);
``inbound`` turns an update into an ``InboundMessage`` (media fetched
through getFile) threaded by chat id; ``transport.send`` sends one outbox
row; ``api`` is the Bot API calls; ``models`` the bots.
"""
