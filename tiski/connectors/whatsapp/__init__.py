"""The WhatsApp channel (Business Cloud API): webhook, messages and statuses, replies.

Shaped like SMS (docs/channels.md): ``views`` answer Meta's verification
challenge and check ``X-Hub-Signature-256`` on every POST, then accept each
message into the durable intake (keyed by its wamid) and apply status
updates to the outbox; ``inbound`` turns a message into an
``InboundMessage`` (the sender by E.164 phone number, media fetched through
the Graph API); ``transport.send`` sends one outbox row (text or an
approved template); ``window`` is the 24-hour customer-service window.
"""
