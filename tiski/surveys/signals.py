"""What the surveys tell the features above them, without importing them."""

from django.dispatch import Signal

# Sent (sender: SurveyInvitation) with ``invitations``, the saved invitations
# whose mail is on its way, when surveys have been sent. The reports count
# each CSAT survey from a row of their own (`reports.survey_facts`), written
# here at once: the ticket's facts may have been rewritten before its survey
# existed.
invitations_sent = Signal()
