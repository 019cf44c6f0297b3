"""General settings: desk name, default language, time zone and logo."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tiski.core import desk
from tiski.core.middleware import DeskSettingsMiddleware
from tiski.core.models import DeskSettings
from tiski.setup.models import SettingChange

# The smallest valid PNG: 1x1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def post_general(client, **data):
    fields = {"name": "", "default_language": "", "time_zone": ""}
    fields.update(data)
    return client.post(reverse("setup:general"), fields)


def test_defaults_come_from_server_settings_until_saved(db, settings):
    settings.TIME_ZONE = "Europe/Helsinki"
    settings.LANGUAGE_CODE = "fi"
    assert desk.time_zone_name() == "Europe/Helsinki"
    assert desk.default_language() == "fi"
    assert desk.desk_name() == "Tiski"


def test_saving_general_settings_is_recorded_and_used(admin_session, admin_user):
    response = post_general(
        admin_session, name="Asiakaspalvelu Oy", default_language="en", time_zone="Europe/Stockholm"
    )
    assert response.status_code == 302
    row = DeskSettings.load()
    assert (row.name, row.default_language, row.time_zone) == (
        "Asiakaspalvelu Oy",
        "en",
        "Europe/Stockholm",
    )
    assert desk.default_language() == "en"
    assert desk.time_zone_name() == "Europe/Stockholm"

    change = SettingChange.objects.get(section="general")
    assert change.actor == admin_user
    assert change.changes["name"] == ["", "Asiakaspalvelu Oy"]
    assert change.changes["time_zone"] == ["", "Europe/Stockholm"]

    # The top bar carries the desk's name.
    page = admin_session.get(reverse("desk:inbox")).content.decode()
    assert "Asiakaspalvelu Oy" in page


def test_unknown_time_zone_is_refused_in_a_sentence(admin_session):
    response = post_general(admin_session, time_zone="Mars/Olympus")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert "form-error" in page
    assert DeskSettings.objects.filter(time_zone="Mars/Olympus").count() == 0
    assert not SettingChange.objects.exists()


def test_pages_show_times_in_the_desks_time_zone(admin_user):
    DeskSettings.objects.update_or_create(pk=1, defaults={"time_zone": "America/New_York"})

    def view(request):
        return HttpResponse(timezone.get_current_timezone_name())

    request = RequestFactory().get("/")
    request.user = admin_user
    response = DeskSettingsMiddleware(view)(request)
    assert response.content == b"America/New_York"


def test_logo_upload_is_served_and_shown_in_the_top_bar(admin_session):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = admin_session.post(
        reverse("setup:general"),
        {"name": "Tiski Oy", "default_language": "", "time_zone": "", "logo": logo},
    )
    assert response.status_code == 302
    row = DeskSettings.load()
    assert row.logo_content_type == "image/png"
    assert SettingChange.objects.get(section="general").changes["logo"] == [None, "logo.png"]

    served = admin_session.get(reverse("setup:logo"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PNG

    page = admin_session.get(reverse("desk:inbox")).content.decode()
    assert 'class="brand-logo"' in page
    assert reverse("setup:logo") in page


def test_a_logo_that_is_not_an_image_is_refused(admin_session):
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = admin_session.post(
        reverse("setup:general"),
        {"name": "", "default_language": "", "time_zone": "", "logo": fake},
    )
    assert response.status_code == 200
    assert "PNG, JPEG, GIF or WebP" in response.content.decode().replace("&nbsp;", " ") or (
        "PNG-, JPEG-, GIF- tai WebP" in response.content.decode()
    )
    assert not DeskSettings.load().logo


def test_a_too_large_logo_is_refused(admin_session):
    big = SimpleUploadedFile("logo.png", PNG + b"\0" * (600 * 1024), content_type="image/png")
    response = admin_session.post(
        reverse("setup:general"),
        {"name": "", "default_language": "", "time_zone": "", "logo": big},
    )
    assert response.status_code == 200
    assert "512" in response.content.decode()
    assert not DeskSettings.load().logo


def test_no_logo_means_404_not_an_error(admin_session):
    assert admin_session.get(reverse("setup:logo")).status_code == 404


def test_lower_layers_write_in_the_desks_default_language(settings, make_ticket, admin_user):
    """Texts the desk writes itself (here: a merge's system note) follow the setting."""
    from tiski.tickets import actions
    from tiski.tickets.models import MessageKind

    settings.LANGUAGE_CODE = "fi"
    DeskSettings.objects.update_or_create(pk=1, defaults={"default_language": "en"})
    source, target = make_ticket(), make_ticket()
    actions.merge_tickets(source, target, actor=admin_user, via="agent")
    note = target.messages.get(kind=MessageKind.SYSTEM)
    assert note.text.startswith("Ticket #")

    DeskSettings.objects.filter(pk=1).update(default_language="fi")
    other = make_ticket()
    actions.merge_tickets(other, target, actor=admin_user, via="agent")
    newest = target.messages.filter(kind=MessageKind.SYSTEM).order_by("-pk").first()
    assert newest.text.startswith("Tiketti #")
