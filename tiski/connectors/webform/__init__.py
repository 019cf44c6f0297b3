"""The help centre's request form as a channel: a submission is stored first.

The form itself is a page of the portal (``tiski/portal/webform.py``); what
it sends comes here. ``intake.accept_submission`` writes the whole
submission (fields, custom field values, files) as an inbound receipt before
anything else, so a ticket write that fails loses nothing: the receipt stays
pending and the sweeper tries again, like a mail the intake could not
process. ``intake.process_receipt`` (the registry's intake) makes the
ticket and queues the acknowledgement.
"""
