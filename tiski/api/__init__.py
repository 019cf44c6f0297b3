"""The REST API (`/api/v1/`), personal API tokens and outgoing webhooks.

One more client of the same read and write paths as the desk: tickets are
read through `Ticket.objects.visible_to` and written through
`tickets.actions`, contacts through `customers.actions`.
"""
