"""Brands: a help centre on its own host name, with its own look and categories."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.knowledge import actions
from tiski.knowledge.models import Brand
from tiski.setup.models import SettingChange
from tiski.tickets.models import Ticket

from ..knowledge.test_views import PNG
from .pages import parse
from .test_web_form import _data

HOST = "tuki.kahvila.example"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.TISKI_WEB_FORM_MIN_SECONDS = 3


@pytest.fixture
def coffee(kb, make_user):
    """A second category with one article, and a brand that shows only it."""
    category = actions.create_category(
        "kahvinkeittimet", {"fi": {"name": "Kahvinkeittimet"}, "en": {"name": "Coffee makers"}}
    )
    section = actions.create_section(category, "kalkinpoisto", {"fi": {"name": "Kalkinpoisto"}})
    article = actions.create_article(
        section=section,
        author=make_user(),
        language="fi",
        title="Kahvinkeittimen kalkinpoisto etikalla",
        body_html="<p>Kalkinpoisto etikalla kerran kuussa.</p>",
        publish=True,
    )
    brand = Brand.objects.create(
        name="Kahvilan tuki",
        host=HOST,
        colour="#3b2314",
        footer="Kahvila Oy",
        footer_links="Tietosuoja | https://kahvila.example/tietosuoja",
        tag="kahvila",
    )
    brand.categories.set([category])
    return article


def test_brand_host_shows_its_own_name_colours_and_articles_only(client, kb, coffee):
    on_brand = client.get(f"/help/fi/articles/{coffee.slug}/", headers={"host": HOST})
    assert on_brand.status_code == 200
    page = parse(on_brand.content.decode())
    assert "Kahvilan tuki" in page.title
    assert [link["href"] for link in page.rel("canonical")] == [
        f"http://{HOST}/help/fi/articles/{coffee.slug}/"
    ]
    assert 'href="https://kahvila.example/tietosuoja"' in on_brand.content.decode()
    css = client.get("/help/brand.css", headers={"host": HOST}).content.decode()
    assert "--hc-accent: #3b2314" in css
    # Another category's article is not this brand's, on any page.
    assert (
        client.get(f"/help/fi/articles/{kb.published.slug}/", headers={"host": HOST}).status_code
        == 404
    )
    assert client.get("/help/fi/categories/laskutus/", headers={"host": HOST}).status_code == 404
    assert client.get("/help/fi/sections/laskut/", headers={"host": HOST}).status_code == 404
    home = client.get("/help/fi/", headers={"host": HOST}).content.decode()
    assert "Kahvinkeittimet" in home and "Laskutus" not in home
    search = client.get("/help/fi/search/?q=lasku", headers={"host": HOST}).content.decode()
    assert kb.published.title not in search
    suggest = client.get(
        "/help/fi/request/suggest/?subject=laskun eräpäivä", headers={"host": HOST}
    ).content.decode()
    assert kb.published.title not in suggest
    # The desk's own host keeps the whole help centre, as before brands.
    assert client.get(f"/help/fi/articles/{kb.published.slug}/").status_code == 200
    assert client.get(f"/help/fi/articles/{coffee.slug}/").status_code == 200


def test_sitemap_lists_each_hosts_own_articles_on_that_host(client, kb, coffee):
    def urls(**headers) -> list[str]:
        root = ET.fromstring(client.get("/help/sitemap.xml", headers=headers).content)
        return [loc.text for loc in root.iter(f"{SITEMAP}loc")]

    on_brand = urls(host=HOST)
    assert f"http://{HOST}/help/fi/articles/{coffee.slug}/" in on_brand
    assert all(url.startswith(f"http://{HOST}/help/") for url in on_brand)
    assert not any(kb.published.slug in url for url in on_brand)
    on_desk = urls()
    assert f"http://testserver/help/fi/articles/{kb.published.slug}/" in on_desk
    assert f"http://testserver/help/fi/articles/{coffee.slug}/" in on_desk
    robots = client.get("/robots.txt", headers={"host": HOST}).content.decode()
    assert f"Sitemap: http://{HOST}/help/sitemap.xml" in robots


def test_cached_article_of_one_host_never_answers_another(client, kb, coffee):
    everything = Brand.objects.create(name="Kaikki ohjeet", host="ohjeet.example", tag="ohjeet")
    desk_page = client.get(f"/help/fi/articles/{kb.published.slug}/").content.decode()
    assert "Kaikki ohjeet" not in desk_page
    # Cached on the desk's host now; the brand showing every category renders its own.
    other = client.get(f"/help/fi/articles/{kb.published.slug}/", headers={"host": everything.host})
    assert other.status_code == 200
    text = other.content.decode()
    assert "Kaikki ohjeet" in text and f"http://{everything.host}/help/fi/articles/" in text
    # And the coffee brand, which does not show that category, still answers 404.
    coffee_host = client.get(f"/help/fi/articles/{kb.published.slug}/", headers={"host": HOST})
    assert coffee_host.status_code == 404


def test_unknown_host_is_refused_and_the_desk_is_not_served_on_a_brand_host(
    client, coffee, admin_user
):
    assert client.get("/help/fi/", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/help/fi/", headers={"host": f"x.{HOST}"}).status_code == 400
    client.force_login(admin_user)
    assert client.get("/settings/help-centre/", headers={"host": HOST}).status_code == 404
    assert client.get("/api/v1/tickets/", headers={"host": HOST}).status_code == 404
    root = client.get("/", headers={"host": HOST})
    assert root.status_code == 302 and root["Location"] == "/help/fi/"
    # With a port, as a browser sends it on a test server.
    assert client.get("/help/fi/", headers={"host": f"{HOST}:8443"}).status_code == 200


def test_web_form_on_a_brand_host_tags_the_ticket(client, coffee):
    response = client.post("/help/fi/request/", _data(), headers={"host": HOST})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert list(ticket.tags.values_list("name", flat=True)) == ["kahvila"]


def test_web_form_on_the_desk_host_adds_no_tag(client, coffee):
    assert client.post("/help/fi/request/", _data()).status_code == 302
    assert not Ticket.objects.get().tags.exists()


def test_sign_in_link_points_at_the_brand_host(client, coffee, make_contact):
    make_contact(email="liisa@asiakas.example")
    mail.outbox.clear()
    response = client.post(
        "/help/fi/portal/", {"email": "liisa@asiakas.example"}, headers={"host": HOST}
    )
    assert response.status_code == 200
    [message] = mail.outbox
    assert "Kahvilan tuki" in message.subject
    path = re.search(rf"http://{re.escape(HOST)}(/help/fi/portal/enter/\S+/)", message.body).group(
        1
    )
    assert client.get(path, headers={"host": HOST}).status_code == 302


def test_admin_adds_a_brand_with_logo_and_categories(client, admin_user, kb, coffee):
    client.force_login(admin_user)
    response = client.post(
        "/settings/help-centre/brands/new/",
        {
            "name": "Laskutuksen ohjeet",
            "host": "Laskut.Example.FI",
            "colour": "#1F4E79",
            "footer": "",
            "footer_links": "Yhteystiedot | https://laskut.example.fi/yhteys",
            "language": "en",
            "categories": [kb.category.pk],
            "tag": "laskut",
            "logo": SimpleUploadedFile("logo.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    brand = Brand.objects.get(tag="laskut")
    assert brand.host == "laskut.example.fi" and brand.logo_content_type == "image/png"
    logged = SettingChange.objects.get(section="helpcentre")
    assert (logged.action, logged.actor) == ("created", admin_user)
    assert list(brand.categories.all()) == [kb.category]
    host = {"host": "laskut.example.fi"}
    assert client.get("/", headers=host)["Location"] == "/help/en/"
    assert client.get("/help/logo/", headers=host)["Content-Type"] == "image/png"
    assert "Laskutuksen ohjeet" in client.get("/help/en/", headers=host).content.decode()
    assert client.get("/help/fi/categories/kahvinkeittimet/", headers=host).status_code == 404


@pytest.mark.parametrize(
    "host",
    ["desk.example.fi", "www.desk.example.fi", "https://tuki.example.fi", "tuki.example.fi:8000"]
    + ["*.example.fi", "tuki", "tuki..example.fi"],
)
def test_brand_host_must_be_a_plain_host_name_not_the_desks(client, admin_user, db, settings, host):
    """The desk's own names (ALLOWED_HOSTS, patterns too) and anything but a host name refused."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".desk.example.fi"]
    client.force_login(admin_user)
    response = client.post(
        "/settings/help-centre/brands/new/",
        {"name": "X", "host": host, "colour": "#1f5fa8", "language": "fi", "tag": "x"},
    )
    assert response.status_code == 400
    assert 'class="field has-error" id="field-host"' in response.content.decode()
    assert not Brand.objects.exists()


def test_agents_cannot_add_brands(client, make_user, db):
    client.force_login(make_user())
    response = client.post(
        "/settings/help-centre/brands/new/",
        {"name": "X", "host": "x.example.fi", "colour": "#1f5fa8", "language": "fi", "tag": "x"},
    )
    assert response.status_code in (302, 403)
    assert not Brand.objects.exists()


def test_deleted_brand_host_is_refused_at_once(client, admin_user, coffee):
    assert client.get("/help/fi/", headers={"host": HOST}).status_code == 200
    client.force_login(admin_user)
    brand = Brand.objects.get()
    assert client.post(f"/settings/help-centre/brands/{brand.pk}/delete/").status_code == 302
    assert client.get("/help/fi/", headers={"host": HOST}).status_code == 400
