"""Webhooks out: events become signed POSTs to the URLs admins subscribed.

`events` turns a ticket change into delivery rows (after commit);
`delivery` sends one row and schedules its retry; `signing` is the
signature receivers check; `outbound` is the one outbound POST.
"""
