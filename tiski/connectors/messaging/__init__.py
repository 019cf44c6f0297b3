"""What every messaging channel (SMS now; WhatsApp, Messenger, Telegram next) shares.

``inbound``: the one normalised ``InboundMessage``; ``intake``: receipts to
tickets (``deliver_inbound``: contact by identity, threading, the ticket
actions); the outbound side is ``connectors/sending.py``.
"""
