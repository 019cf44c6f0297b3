"""Facebook Messenger and Instagram Direct: one package, because Meta serves both alike.

Both arrive as Graph API webhooks of the same shape (``object: page`` or
``instagram``, ``entry[].messaging[]``), signed the same way, and both are
answered through the same Send API with a page access token; only the id
(a Facebook page or an Instagram professional account), the identity kind
of the sender (a PSID or an IGSID) and the channel key differ. So one
``MetaAccount`` with a ``kind`` serves both channels, and the registry has
a line for each (docs/channels.md).

``views``: the webhook (verification challenge, ``X-Hub-Signature-256``);
``inbound``: events to receipts and receipts to messages (texts,
attachments, postbacks, quick replies, reactions, echoes of the page's own
messages); ``api``: the Graph API calls; ``transport``: the registry's
sender; ``window``: the 24-hour window and the HUMAN_AGENT tag;
``replies``: the composer's route and the change handler.
"""
