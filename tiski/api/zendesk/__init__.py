"""`/api/v2/`: a compatible subset of the Zendesk Support API v2.

Scripts and integrations written for Zendesk keep working after a team moves
in: the same paths, JSON shapes, pagination and errors, mapped onto Tiski's
tickets, contacts, users and teams. It is one more client of the ticket
actions and of ``Ticket.objects.visible_to``, like ``/api/v1/``, and shares
its tokens, scopes and rate limit (docs/api.md says what is covered).
"""
