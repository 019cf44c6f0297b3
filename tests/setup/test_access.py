"""Who reaches Settings and the Django admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.setup.sections import SECTIONS

from ..conftest import PASSWORD

# Every page of the sections built here, with the arguments they need.
PAGES = [
    ("setup:home", []),
    ("setup:general", []),
    ("setup:agents", []),
    ("setup:agent-invite", []),
    ("setup:teams", []),
    ("setup:team-new", []),
    ("setup:ticket-types", []),
    ("setup:ticket-type-new", []),
    ("setup:priorities", []),
    ("setup:tags", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_agents_get_403_and_admins_the_page(client, make_user, admin_user, name, args):
    """Settings are for admins: an agent is refused, an admin sees the page."""
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    assert client.get(reverse(name, args=args)).status_code == 403
    client.login(username=admin_user.email, password=PASSWORD)
    assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("setup:onboarding-dismiss", "post"),
        ("setup:agent-resend", "post"),
        ("setup:agent-edit", "get"),
        ("setup:team-edit", "get"),
        ("setup:ticket-type-edit", "get"),
        ("setup:ticket-type-move", "post"),
        ("setup:tag", "get"),
    ],
)
def test_agents_cannot_reach_object_pages_or_actions(agent_session, admin_user, name, method):
    args = [] if name == "setup:onboarding-dismiss" else [admin_user.pk]
    response = getattr(agent_session, method)(reverse(name, args=args))
    assert response.status_code == 403


def test_settings_home_lists_every_section(admin_session):
    page = admin_session.get(reverse("setup:home")).content.decode()
    for section in SECTIONS:
        assert f'href="{reverse(section.url_name)}"' in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("setup:agents"))
    assert response.status_code == 302
    assert reverse("desk:login") in response["Location"]


def test_django_admin_is_for_superusers_only(client, admin_user, make_user):
    """An ordinary admin works in Settings; the Django admin refuses them."""
    client.login(username=admin_user.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get("/admin/accounts/user/").status_code == 302

    root = make_user(role="admin", email="root@example.fi", is_superuser=True)
    client.login(username=root.email, password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_desk_does_not_link_ordinary_admins_to_the_django_admin(admin_session, make_ticket):
    ticket = make_ticket()
    for url in (
        reverse("desk:inbox"),
        reverse("setup:home"),
        reverse("setup:agents"),
        reverse("desk:ticket", args=[ticket.number]),
    ):
        assert "/admin/" not in admin_session.get(url).content.decode(), url
