"""Agents (invite, edit, absence, deactivate) and teams in Settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tiski.accounts.models import Role, Routing, Team, User
from tiski.connectors.models import Mailbox
from tiski.connectors.transport import TransportError
from tiski.setup.models import SettingChange

from ..conftest import PASSWORD


def agent_data(user: User, **changes) -> dict:
    data = {
        "name": user.name,
        "role": user.role,
        "language": user.language,
        "is_active": "on" if user.is_active else "",
        "out_of_office_from": "",
        "out_of_office_until": "",
        "absence_delegate": "",
        "teams": [t.pk for t in user.teams.all()],
        "skill_languages": [],
        "skill_tags": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None) or k in ("name",)}


def field_block(page: str, name: str) -> str:
    """The HTML of one form field's block (label, input, help, errors)."""
    start = page.index(f'id="field-{name}"')
    end = page.find('id="field-', start + 1)
    return page[start : end if end != -1 else len(page)]


def invite(client, **data):
    fields = {
        "email": "uusi@yritys.fi",
        "name": "Uusi Kollega",
        "role": Role.AGENT,
        "language": "fi",
    }
    fields.update(data)
    return client.post(reverse("setup:agent-invite"), fields)


def test_invite_creates_a_passwordless_user_and_mails_a_working_link(
    admin_session, client, admin_user, make_team, db
):
    team = make_team("Tuki")
    Mailbox.objects.create(address="tuki@yritys.fi", display_name="Tuki")
    response = invite(admin_session, teams=[team.pk])
    user = User.objects.get(email="uusi@yritys.fi")
    assert response.status_code == 302
    assert not user.has_usable_password()
    assert list(user.teams.all()) == [team]

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["uusi@yritys.fi"]
    assert "tuki@yritys.fi" in sent.from_email
    link = re.search(r"https?://\S+/settings/invitation/\S+/", sent.body).group(0)

    change = SettingChange.objects.get(section="agents", action="created")
    assert change.actor == admin_user
    assert change.changes["teams"] == [None, ["Tuki"]]

    # The colleague follows the link (Django moves the token into the session).
    admin_session.logout()
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    done = client.post(
        set_url, {"new_password1": "Kiva-salasana-2026", "new_password2": "Kiva-salasana-2026"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Kiva-salasana-2026")
    assert client.login(username="uusi@yritys.fi", password="Kiva-salasana-2026")

    # Used once: the same link no longer works.
    client.logout()
    again = client.get(path, follow=True)
    assert b"new_password1" not in again.content


def test_invitation_without_a_mailbox_goes_through_the_server_mail(admin_session, settings):
    settings.DEFAULT_FROM_EMAIL = "tiski@example.fi"
    invite(admin_session, language="en")
    assert mail.outbox[0].from_email == "tiski@example.fi"
    assert "You are invited" in mail.outbox[0].subject


def test_invitation_to_a_known_address_is_refused(admin_session, admin_user):
    response = invite(admin_session, email="ADMIN@example.fi")
    assert response.status_code == 200
    assert "admin@example.fi" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert User.objects.count() == 1
    assert not mail.outbox


def test_failed_invitation_mail_shows_the_link_to_pass_on(admin_session, monkeypatch):
    from tiski.connectors.email import outbound

    Mailbox.objects.create(address="tuki@yritys.fi")

    def refuse(mailbox, email):
        raise TransportError("Connection refused", permanent=False)

    monkeypatch.setattr(outbound, "deliver", refuse)
    response = invite(admin_session)
    page = admin_session.get(response["Location"]).content.decode()
    assert "Connection refused" in page
    assert "/settings/invitation/" in page


def test_resend_only_for_people_still_invited(admin_session, make_user):
    invite(admin_session)
    invited = User.objects.get(email="uusi@yritys.fi")
    admin_session.post(reverse("setup:agent-resend", args=[invited.pk]))
    assert len(mail.outbox) == 2
    joined = make_user()
    admin_session.post(reverse("setup:agent-resend", args=[joined.pk]))
    assert len(mail.outbox) == 2


def test_edit_agent_role_teams_skills_and_absence_is_recorded(admin_session, make_user, make_team):
    agent = make_user(name="Minna")
    delegate = make_user(name="Ville")
    team = make_team("Myynti")
    start = timezone.localtime() + timedelta(days=1)
    end = start + timedelta(days=7)
    response = admin_session.post(
        reverse("setup:agent-edit", args=[agent.pk]),
        agent_data(
            agent,
            role=Role.LIGHT_AGENT,
            teams=[team.pk],
            skill_languages=["fi", "sv"],
            skill_tags="Laskutus, palautukset",
            out_of_office_from=start.strftime("%Y-%m-%dT%H:%M"),
            out_of_office_until=end.strftime("%Y-%m-%dT%H:%M"),
            absence_delegate=delegate.pk,
        ),
    )
    assert response.status_code == 302, response.content.decode()
    agent.refresh_from_db()
    assert agent.role == Role.LIGHT_AGENT
    assert list(agent.teams.all()) == [team]
    assert agent.skills == ["fi", "sv", "laskutus", "palautukset"]
    assert agent.absence_delegate == delegate
    assert agent.out_of_office_from is not None
    change = SettingChange.objects.get(section="agents")
    assert change.changes["role"] == ["agent", "light_agent"]
    assert change.changes["teams"] == [[], ["Myynti"]]
    assert change.changes["absence_delegate"] == [None, "Ville"]


def test_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(
    admin_session, admin_user
):
    url = reverse("setup:agent-edit", args=[admin_user.pk])
    response = admin_session.post(url, agent_data(admin_user, role=Role.AGENT))
    assert response.status_code == 200
    assert "field-error" in field_block(response.content.decode(), "role")
    response = admin_session.post(url, agent_data(admin_user, is_active=""))
    assert response.status_code == 200
    assert "field-error" in field_block(response.content.decode(), "is_active")
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_active
    assert not SettingChange.objects.exists()


def test_absence_must_end_after_it_starts(admin_session, make_user):
    agent = make_user()
    response = admin_session.post(
        reverse("setup:agent-edit", args=[agent.pk]),
        agent_data(
            agent, out_of_office_from="2026-12-10T08:00", out_of_office_until="2026-12-09T08:00"
        ),
    )
    assert response.status_code == 200
    assert 'id="field-out_of_office_until"' in response.content.decode()
    agent.refresh_from_db()
    assert agent.out_of_office_from is None


def test_deactivated_agent_cannot_log_in(admin_session, client, make_user):
    agent = make_user()
    admin_session.post(
        reverse("setup:agent-edit", args=[agent.pk]), agent_data(agent, is_active="")
    )
    agent.refresh_from_db()
    assert not agent.is_active
    assert not client.login(username=agent.email, password=PASSWORD)
    page = admin_session.get(reverse("setup:agents")).content.decode()
    assert "Deactivated" in page or "Poistettu käytöstä" in page


def test_team_create_with_members_routing_cap_and_restricted_warning(admin_session, make_user):
    member = make_user(name="Minna")
    response = admin_session.post(
        reverse("setup:team-new"),
        {
            "name": "Johto",
            "description": "",
            "members": [member.pk],
            "routing": Routing.ROUND_ROBIN,
            "max_open_per_agent": 5,
            "restricted": "on",
        },
        follow=True,
    )
    team = Team.objects.get(name="Johto")
    assert list(team.members.all()) == [member]
    assert (team.routing, team.max_open_per_agent, team.restricted) == (
        Routing.ROUND_ROBIN,
        5,
        True,
    )
    page = response.content.decode()
    assert "Johto" in page
    assert "flash-warning" in page  # restricted tickets are hidden from non-members
    change = SettingChange.objects.get(section="teams")
    assert change.action == "created"
    assert change.changes["members"] == [[], ["Minna"]] or change.changes["members"][1] == ["Minna"]


def test_team_edit_is_logged_and_names_stay_unique(admin_session, make_team):
    team = make_team("Tuki")
    make_team("Myynti")
    url = reverse("setup:team-edit", args=[team.pk])
    data = {"name": "myynti", "routing": Routing.MANUAL, "max_open_per_agent": 0}
    response = admin_session.post(url, data)
    assert response.status_code == 200
    assert "already exists" in response.content.decode() or "on jo olemassa" in (
        response.content.decode()
    )
    data["name"] = "Asiakastuki"
    data["routing"] = Routing.LEAST_LOADED
    assert admin_session.post(url, data).status_code == 302
    change = SettingChange.objects.get(section="teams")
    assert change.changes["name"] == ["Tuki", "Asiakastuki"]
    assert change.changes["routing"] == ["manual", "least_loaded"]


@pytest.mark.parametrize("cap", ["-1", "lots"])
def test_team_cap_must_be_a_whole_number(admin_session, cap):
    response = admin_session.post(
        reverse("setup:team-new"),
        {"name": "X", "routing": Routing.MANUAL, "max_open_per_agent": cap},
    )
    assert response.status_code == 200
    assert not Team.objects.exists()
