"""The desk's Settings area (admins): every setting a team needs day to day.

Sections are listed once in `sections.SECTIONS`; the nav, the settings home
and the onboarding checklist read that list. Each section's views live in
`views/<section>.py` and write through the owning app's own functions, with
every change recorded by `audit.record_setting_change`.
"""
