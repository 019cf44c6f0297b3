"""The composer in a real browser: who it reaches, copies, mailbox, drafts, files, forward."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tiski.connectors.messaging import intake
from tiski.connectors.messaging.inbound import InboundMessage
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundMessage
from tiski.connectors.sms.models import SmsAccount
from tiski.connectors.sms.optout import opt_out
from tiski.customers.actions import add_identity, get_or_create_contact
from tiski.tickets.models import Channel, MessageKind, Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def png(width: int = 48, height: int = 32) -> bytes:
    """A real (blue) PNG, so the thumbnail has something to show."""
    row = b"\x00" + bytes([36, 87, 214]) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def desk(make_user, make_team, make_ticket):
    team = make_team("Puhelinpalvelu")
    minna = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    caller, _created = get_or_create_contact("phone", "040 123 4567", name="Liisa Lahtinen")
    add_identity(caller, "email", "liisa@asiakas.fi")
    phone_ticket = make_ticket(
        subject="Soitto: lasku väärin",
        text="Soitti, lasku on väärin.",
        requester=caller,
        channel="phone",
        team=team,
    )
    silent, _created = get_or_create_contact("phone", "050 555 0000", name="Pelkkä Puhelin")
    unreachable = make_ticket(
        subject="Soitto ilman osoitetta",
        text="Ei sähköpostia.",
        requester=silent,
        channel="phone",
        team=team,
    )
    Mailbox.objects.create(address="tuki@tiski.example", display_name="Tuki", default_team=team)
    Mailbox.objects.create(address="myynti@tiski.example", display_name="Myynti")
    return {"minna": minna, "ticket": phone_ticket, "unreachable": unreachable}


def test_unreachable_customer_is_warned_before_sending(new_page, desk):
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["unreachable"].get_absolute_url())
    expect(page.locator("#unreachable-warning")).to_be_visible()
    expect(page.locator("input[name=kind][value=public]")).to_be_disabled()
    expect(page.locator("input[name=kind][value=internal]")).to_be_checked()
    page.keyboard.press("r")  # the shortcut cannot turn the public reply back on
    expect(page.locator("input[name=kind][value=public]")).not_to_be_checked()
    screenshot(page, "composer-unreachable")


def open_copies(page) -> None:
    """Open the copies' fold. A click on its summary toggles it; one CI run's
    first click left it closed (the page still settling), so it is clicked
    again until the field shows, never toggled shut once open."""
    field = page.locator("#id_cc")
    for _ in range(3):
        if field.is_visible():
            return
        page.click("#cc-fields summary")
        try:
            expect(field).to_be_visible(timeout=3000)
        except AssertionError:
            continue
    expect(field).to_be_visible()


def test_reply_with_cc_bcc_from_a_chosen_mailbox(new_page, desk):
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["ticket"].get_absolute_url())
    expect(page.locator("#reply-to")).to_contain_text("liisa@asiakas.fi")
    expect(page.locator("#id_mailbox")).to_have_value(
        str(Mailbox.objects.get(address="tuki@tiski.example").pk)
    )
    page.select_option("#id_mailbox", label="Myynti <myynti@tiski.example>")
    open_copies(page)
    page.fill("#id_cc", "pomo@asiakas.fi")
    page.fill("#id_bcc", "arkisto@yritys.fi")
    page.fill("#id_text", "Hei Liisa, korjasimme laskun.")
    screenshot(page, "composer-cc-bcc-mailbox")
    # An internal note hides what only a public reply uses.
    page.click("label.tab-internal")
    expect(page.locator("#cc-fields")).to_be_hidden()
    page.click("label.tab-public")
    page.click("#send-button")
    expect(page.locator(".msg-public")).to_contain_text("korjasimme laskun")
    expect(page.locator(".msg-public .msg-copies")).to_contain_text("pomo@asiakas.fi")
    screenshot(page, "composer-sent-with-copies")
    row = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
    assert row.mailbox.address == "myynti@tiski.example"
    assert (row.to, row.cc, row.bcc) == (
        ["liisa@asiakas.fi"],
        ["pomo@asiakas.fi"],
        ["arkisto@yritys.fi"],
    )


def test_draft_survives_a_reload_and_follows_into_other_tabs(new_page, desk, browser):
    url = desk["ticket"].get_absolute_url()
    first = new_page()
    login(first, "minna@yritys.fi", PASSWORD)
    second = first.context.new_page()  # the same browser: another tab
    first.goto(url)
    second.goto(url)
    first.locator("#id_text").press_sequentially("Luonnos, joka ei katoa")
    expect(first.locator("#draft-status")).not_to_be_empty()
    expect(second.locator("#id_text")).to_have_value("Luonnos, joka ei katoa")
    first.reload()
    expect(first.locator("#id_text")).to_have_value("Luonnos, joka ei katoa")
    expect(first.locator("#draft-status")).not_to_be_empty()
    screenshot(first, "composer-draft-restored")
    first.click("label.tab-internal")
    first.click("#send-button")
    expect(first.locator(".msg-internal")).to_contain_text("Luonnos, joka ei katoa")
    # Sent: the draft is gone here, after a reload, and in the other tab.
    expect(second.locator("#id_text")).to_have_value("")
    first.reload()
    expect(first.locator("#id_text")).to_have_value("")
    # A draft left behind does not outlive logging out (a shared computer).
    first.locator("#id_text").press_sequentially("Kesken jäänyt")
    expect(first.locator("#draft-status")).not_to_be_empty()
    first.click("#account-menu > summary")  # log out lives in the account menu
    first.click("[data-logout] button")
    first.wait_for_url("**/login/**")
    assert first.evaluate("Object.keys(localStorage).length") == 0


def test_a_reply_sent_while_typing_leaves_no_draft_behind(new_page, desk):
    """Sent within the draft's pause after the last key, with a server slower
    than that pause: the text does not come back as a draft."""
    import time

    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["ticket"].get_absolute_url())

    def slow(route):
        time.sleep(1.0)  # longer than the pause before a draft is saved
        route.continue_()

    page.route("**/reply/", slow)
    page.fill("#id_text", "Lähetetty heti")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator(".msg-public")).to_contain_text("Lähetetty heti")
    expect(page.locator("#id_text")).to_have_value("")
    drafts = "Object.keys(localStorage).filter(k => k.startsWith('tiski:draft:'))"
    assert page.evaluate(drafts) == []


def test_files_by_drop_and_paste_become_thumbnails(new_page, desk):
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["ticket"].get_absolute_url())
    data = base64.b64encode(png()).decode()
    make_transfer = """([data, name]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: "image/png" }));
        return transfer;
    }"""
    dropped = page.evaluate_handle(make_transfer, [data, "pudotettu.png"])
    page.dispatch_event("#composer", "dragover", {"dataTransfer": dropped})
    expect(page.locator("#composer")).to_have_class("composer dragging")
    page.dispatch_event("#composer", "drop", {"dataTransfer": dropped})
    expect(page.locator("#composer-files li")).to_have_count(1)
    page.evaluate(
        """([data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "image.png", { type: "image/png" }));
            document.querySelector("#id_text").dispatchEvent(
                new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
        }""",
        [data],
    )
    expect(page.locator("#composer-files li")).to_have_count(2)
    expect(page.locator("#composer-files")).to_contain_text("pasted-")
    page.fill("#id_text", "Kuvat liitteenä.")
    screenshot(page, "composer-dropped-and-pasted")
    page.click("#send-button")
    reply = page.locator(".msg-public")
    expect(reply.locator("img.thumb")).to_have_count(2)
    reply.scroll_into_view_if_needed()
    # The image really loads through the attachment view (lazily, once in view).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.msg-public img.thumb')]"
        ".every((img) => img.complete && img.naturalWidth === 48)"
    )
    screenshot(page, "conversation-thumbnails")
    message = desk["ticket"].messages.get(kind=MessageKind.PUBLIC)
    names = sorted(message.attachments.values_list("filename", flat=True))
    assert names[1] == "pudotettu.png" and names[0].startswith("pasted-")


def test_files_from_the_picker_are_listed_without_the_browsers_own_label(new_page, desk):
    """The composer lists chosen files itself, so the browser's "No file
    chosen" (in the browser's language) is not shown; the "Attach files" label
    opens the picker, and the hidden input still takes the keyboard focus."""
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["ticket"].get_absolute_url())
    picker = page.locator("#id_attachments")
    box = picker.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    with page.expect_file_chooser() as chosen:
        page.locator("label.file-input").click()
    chosen.value.set_files(
        [{"name": "kuitti.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(page.locator("#composer-files li")).to_have_count(1)
    expect(page.locator("#composer-files")).to_contain_text("kuitti.png")
    # Hidden from sight, not from the keyboard: Tab still reaches the picker.
    picker.focus()
    expect(picker).to_be_focused()
    with page.expect_file_chooser() as chosen:
        page.locator("label.file-input").click()
    chosen.value.set_files(
        [{"name": "lasku.png", "mimeType": "image/png", "buffer": png(8, 8)}]
    )
    expect(page.locator("#composer-files li")).to_have_count(2)
    page.fill("#id_text", "Liitteet valitsimesta.")
    page.click("#send-button")
    expect(page.locator(".msg-public img.thumb")).to_have_count(2)


def test_the_new_ticket_form_lists_its_files_the_same_way(new_page, desk):
    """The new-ticket form hides the browser's own file label too and lists
    what was chosen, as the composer does."""
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto("/tickets/new/")
    picker = page.locator("#id_attachments")
    box = picker.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    with page.expect_file_chooser() as chosen:
        page.locator("label.file-input").click()
    chosen.value.set_files([{"name": "tilaus.png", "mimeType": "image/png", "buffer": png()}])
    expect(page.locator("#composer-files li")).to_have_count(1)
    expect(page.locator("#composer-files")).to_contain_text("tilaus.png")


def test_forward_the_ticket_from_the_header(new_page, desk):
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(desk["ticket"].get_absolute_url())
    page.click("#ticket-forward summary")
    form = page.locator("#ticket-forward form")
    form.locator("[name=to]").fill("kumppani@toimittaja.fi")
    form.locator("[name=note]").fill("Voitteko tarkistaa laskun?")
    screenshot(page, "forward-ticket-form")
    form.locator("button[type=submit]").click()
    expect(page.locator(".msg-internal")).to_contain_text("kumppani@toimittaja.fi")
    screenshot(page, "forward-recorded")
    row = OutboundEmail.objects.get(kind=OutboundKind.FORWARD)
    assert row.to == ["kumppani@toimittaja.fi"] and "lasku on väärin" in row.body_text


def test_an_sms_conversation_can_be_answered_by_email_instead(new_page, desk):
    """The composer says the reply goes by SMS, offers email beside it; choosing
    email swaps the SMS counter for the mail envelope and the reply is mailed."""
    account = SmsAccount.objects.create(
        name="Asiakaspalvelu SMS", number="+358451110000", api_url="http://127.0.0.1:9/sms"
    )
    intake.deliver_inbound(
        InboundMessage(
            channel=Channel.SMS,
            account=account.pk,
            sender_kind="phone",
            sender_value="+358409876543",
            text="Tuleeko lasku sähköpostiin?",
            provider_id="gw-browser-1",
        )
    )
    ticket = Ticket.objects.get(channel=Channel.SMS)
    add_identity(ticket.requester, "email", "liisa.sms@asiakas.fi")
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    expect(page.locator("#reply-channel-sms")).to_be_checked()
    expect(page.locator("#reply-to")).to_contain_text("+358451110000")
    expect(page.locator("#reply-to")).to_contain_text("liisa.sms@asiakas.fi")
    expect(page.locator("#length-counter")).to_be_visible()
    expect(page.locator("#file-limits")).to_be_visible()  # SMS carries no files
    expect(page.locator("#cc-fields")).to_be_hidden()
    page.check("#reply-channel-email")
    expect(page.locator("#length-counter")).to_be_hidden()
    expect(page.locator("#file-limits")).to_be_hidden()
    expect(page.locator("#cc-fields")).to_be_visible()
    page.fill("#id_text", "Lasku tulee sähköpostiisi tänään.")
    screenshot(page, "composer-sms-by-email-instead")
    page.click("#send-button")
    expect(page.locator(".msg-public")).to_contain_text("Lasku tulee sähköpostiisi")
    message = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.EMAIL
    assert OutboundEmail.objects.get(message=message).to == ["liisa.sms@asiakas.fi"]
    assert not OutboundMessage.objects.exists()


def test_an_opted_out_sms_customer_is_answered_by_email(new_page, desk):
    """After STOP the composer says why SMS cannot go, email is chosen, and the
    requester panel shows the opt-out beside the number."""
    account = SmsAccount.objects.create(
        name="Asiakaspalvelu SMS", number="+358451110000", api_url="http://127.0.0.1:9/sms"
    )
    intake.deliver_inbound(
        InboundMessage(
            channel=Channel.SMS,
            account=account.pk,
            sender_kind="phone",
            sender_value="+358409876543",
            text="Älkää enää lähettäkö tekstiviestejä, sähköposti käy.",
            provider_id="gw-browser-2",
        )
    )
    ticket = Ticket.objects.get(channel=Channel.SMS)
    add_identity(ticket.requester, "email", "liisa.sms@asiakas.fi")
    opt_out("+358409876543", "STOP")
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    expect(page.locator("#unreachable-warning")).to_contain_text("STOP")
    expect(page.locator("#reply-channel-sms")).to_be_disabled()
    expect(page.locator("#reply-channel-email")).to_be_checked()
    expect(page.locator(".requester-card [data-sms-opt-out]")).to_contain_text("STOP")
    screenshot(page, "composer-sms-opted-out")
