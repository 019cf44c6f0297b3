"""The SMS channel: inbound webhooks, providers, the account settings, the outbound sender.

The shape every messaging channel follows (docs/channels.md): ``views``
verify and accept a webhook into the durable intake; ``inbound`` normalises
a receipt to an ``InboundMessage`` (joining long messages, honouring
STOP/START) and hands it to ``messaging.intake.deliver_inbound``;
``transport.send`` sends one outbox row; ``providers`` holds what differs
per provider (generic HTTP/JSON, Twilio); ``models`` the accounts.
"""
