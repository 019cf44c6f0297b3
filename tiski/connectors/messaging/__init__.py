"""What every messaging channel (SMS, Telegram, WhatsApp, Messenger, Instagram) shares.

``inbound``: the one normalised ``InboundMessage``; ``intake``: receipts to
tickets (``deliver_inbound``: contact by identity, threading, the ticket
actions); ``graph``: the verification and signature of Meta's webhooks;
``media``: files customers send; ``outbox`` and ``replies``: the way out
(with ``connectors/sending.py``).
"""
