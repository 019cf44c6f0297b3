"""Settings -> Surveys switches handling-time measuring off and on again."""

# ruff: noqa: F811 - the fixtures of test_worktime are imported and used as arguments

from __future__ import annotations

import uuid

from django.urls import reverse

from tiski.accounts.models import Role
from tiski.setup.models import SettingChange
from tiski.worktime import services
from tiski.worktime.models import WorkEntry, WorktimeSettings

from ..conftest import PASSWORD
from .test_worktime import beat, clock, setup  # noqa: F401 - fixtures


def switch(client, admin, on: bool):
    client.login(username=admin.email, password=PASSWORD)
    form = client.get(reverse("setup:surveys")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    data["worktime-shown"] = "1"  # the page's marker: the section was in the form
    if on:
        data["worktime-tracking_enabled"] = "on"
    response = client.post(reverse("setup:surveys"), data)
    assert response.status_code == 302, response.content.decode()[:500]


def test_off_means_no_pings_no_measuring_and_the_report_says_so(
    client,
    setup,
    make_user,
    clock,
):
    admin = make_user(role=Role.ADMIN)
    agent, ticket = setup["agent"], setup["ticket"]
    assert WorktimeSettings.tracking() is True
    switch(client, admin, on=False)
    assert WorktimeSettings.tracking() is False
    logged = SettingChange.objects.get(section="surveys")
    assert logged.changes["tracking_enabled"] == [True, False]

    client.login(username=agent.email, password=PASSWORD)
    page = client.get(ticket.get_absolute_url()).content.decode()
    # No beat address on the page: its script sends nothing.
    assert reverse("worktime:beat", args=[ticket.number]) not in page
    assert 'id="worktime-off"' in page
    # A tab left open from before is refused and told to stop.
    response = beat(client, ticket, uuid.uuid4())
    assert response.status_code == 409 and response.json() == {"tracking": False}
    assert not WorkEntry.objects.exists()
    # Minutes by hand still count, and the report says measuring is off.
    services.add_minutes(ticket, agent, 7, actor=agent)
    report = client.get(reverse("reports:handling")).content.decode()
    assert 'id="handling-tracking-off"' in report

    switch(client, admin, on=True)
    client.login(username=agent.email, password=PASSWORD)
    assert (
        reverse("worktime:beat", args=[ticket.number])
        in client.get(ticket.get_absolute_url()).content.decode()
    )
    assert beat(client, ticket, uuid.uuid4()).status_code == 200
    assert (
        'id="handling-tracking-off"' not in client.get(reverse("reports:handling")).content.decode()
    )


def test_a_post_without_the_section_leaves_measuring_alone(client, setup, make_user):
    admin = make_user(role=Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    form = client.get(reverse("setup:surveys")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    data["link_days"] = 9
    assert client.post(reverse("setup:surveys"), data).status_code == 302
    assert WorktimeSettings.tracking() is True
    page = client.get(reverse("setup:surveys")).content.decode()
    assert 'name="worktime-shown"' in page and 'name="worktime-tracking_enabled"' in page
