"""The demo's capabilities as a person sees them, in Chromium: pictures that
decode as thumbnails, a PDF that downloads, the merged duplicate, the
callback ticket and the ready answer named in the conversation."""

from __future__ import annotations

import pytest

from tiski.connectors.phone.models import Callback
from tiski.tickets.models import Attachment, Message, TicketMerge

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(settings):
    from tiski.operations.demo_data import populate

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    populate()
    return {"password": settings.TISKI_DEMO_PASSWORD}


def test_demo_attachments_merge_callback_and_ready_answer(new_page, demo):
    page = new_page({"width": 1280, "height": 900})
    login(page, "admin@tiski.example", demo["password"])

    picture = Attachment.objects.filter(content_type="image/png").select_related("message__ticket")[
        0
    ]
    page.goto(picture.message.ticket.get_absolute_url())
    thumb = page.locator(f"#message-{picture.message_id} img.thumb")
    thumb.scroll_into_view_if_needed()
    # A real picture: the browser decoded it at its full size.
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 480", arg=thumb.element_handle()
    )
    screenshot(page, "demo-attachment-thumbnail")

    document = Attachment.objects.filter(content_type="application/pdf").select_related(
        "message__ticket"
    )[0]
    page.goto(document.message.ticket.get_absolute_url())
    with page.expect_download() as download:
        page.locator(f"#message-{document.message_id} a[download]").click()
    assert download.value.suggested_filename == document.filename
    with open(download.value.path(), "rb") as f:
        assert f.read(8) == b"%PDF-1.4"

    merge = TicketMerge.objects.select_related("source", "target").get()
    page.goto(merge.source.get_absolute_url())
    assert page.locator("#id_status").input_value() == "closed"
    assert page.locator("#id_status").is_disabled()
    page.get_by_role("link", name=f"#{merge.target.number}").first.click()
    page.wait_for_url(f"**{merge.target.get_absolute_url()}")
    assert page.locator(f"[data-merged-from='{merge.source.number}']").count() == 1
    screenshot(page, "demo-merged-ticket")

    callback = Callback.objects.filter(resolved_at__isnull=True).select_related("ticket").get()
    page.goto(callback.ticket.get_absolute_url())
    assert page.locator(".msg-call").count() == callback.attempts == 2
    screenshot(page, "demo-callback-ticket")

    used = Message.objects.filter(meta__macro__isnull=False).select_related("ticket")[0]
    page.goto(used.ticket.get_absolute_url())
    label = page.locator(f"#message-{used.pk} .from-macro")
    assert used.meta["macro_name"] in label.inner_text()
    label.scroll_into_view_if_needed()
    screenshot(page, "demo-ready-answer-reply")
