"""Settings -> Help centre: the name, colour and logo the public pages wear."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.knowledge.models import HelpCentreSettings
from tiski.setup.forms_helpcentre import contrast_with_white

from ..knowledge.test_views import PNG


def test_admin_sets_name_colour_and_logo(client, admin_user, kb):
    client.force_login(admin_user)
    response = client.post(
        "/settings/help-centre/",
        {
            "name": "Esimerkki Oy:n ohjeet",
            "colour": "#1F4E79",
            "footer": "Esimerkki Oy · 010 123 4567",
            "logo": SimpleUploadedFile("logo.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302
    row = HelpCentreSettings.load()
    assert row.colour == "#1f4e79" and row.logo_content_type == "image/png"
    home = client.get("/help/fi/").content.decode()
    assert "Esimerkki Oy:n ohjeet" in home and "010 123 4567" in home
    assert 'src="/help/logo/' in home
    assert "--hc-accent: #1f4e79" in client.get("/help/brand.css").content.decode()
    assert client.get("/help/logo/")["Content-Type"] == "image/png"


def test_colour_too_light_for_white_text_is_refused(client, admin_user, db):
    client.force_login(admin_user)
    response = client.post("/settings/help-centre/", {"name": "", "colour": "#ffee00"})
    assert response.status_code == 400
    assert HelpCentreSettings.load().colour == "#1f5fa8"
    assert contrast_with_white("#1f5fa8") >= 4.5


def test_agents_cannot_change_branding(client, make_user, db):
    client.force_login(make_user())
    response = client.post("/settings/help-centre/", {"name": "X", "colour": "#000000"})
    assert response.status_code in (302, 403)
    assert HelpCentreSettings.load().name == ""
