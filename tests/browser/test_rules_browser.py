"""The rule builder in a real browser: an admin clicks a trigger together, and it runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tiski.rules.models import RuleFiring, Trigger

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _without_shipped_triggers(transactional_db):
    """These tests order and count their own triggers; the survey's shipped ones step aside."""
    Trigger.objects.all().delete()


def settled(page) -> None:
    """Wait until htmx has wired up what it swapped in (it does so on settle,
    a moment after the new row is in the page)."""
    expect(
        page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    ).to_have_count(0)


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_admin_builds_a_trigger_by_clicking_and_it_tags_matching_tickets(
    new_page, admin_user, make_ticket
):
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.click("nav.mainnav a[href='/settings/']")
    page.click("nav.sidebar a[href='/settings/rules/triggers/']")
    page.wait_for_url("**/settings/rules/triggers/")
    page.click("#new-rule")
    page.wait_for_url("**/settings/rules/triggers/new/")

    page.fill("#id_name", "Laskut laskutukseen")
    page.check("#events input[value=ticket_created]")

    # A condition: subject or message text contains "lasku".
    section = page.locator("[data-conditions] .root-group > [data-section=all]")
    section.locator("[data-add-condition]").click()
    expect(section.locator(".rule-row")).to_have_count(1)
    settled(page)
    section.locator(".rule-row select[data-type-select]").select_option("text")
    # htmx swaps the row for one with the text condition's inputs.
    value = section.locator(".rule-row [data-param=value] input")
    expect(value).to_be_visible()
    settled(page)
    row = section.locator(".rule-row")
    expect(row.locator("[data-param=field] select")).to_have_value("subject_or_body")
    row.locator("[data-param=op] select").select_option("contains")
    value.fill("lasku")

    # An action: add the tag "laskutus".
    page.click("[data-add-action]")
    action = page.locator("#action-rows .rule-row")
    expect(action).to_have_count(1)
    settled(page)
    action.locator("select[data-type-select]").select_option("add_tags")
    tag_input = page.locator("#action-rows .rule-row [data-param=tags] input").first
    expect(tag_input).to_be_visible()
    tag_input.fill("laskutus")
    screenshot(page, "rule-builder")

    page.click("#save-rule")
    page.wait_for_url("**/settings/rules/triggers/")
    expect(page.locator("#rule-rows")).to_contain_text("Laskut laskutukseen")
    screenshot(page, "rule-list")

    trigger = Trigger.objects.get(name="Laskut laskutukseen")
    assert trigger.active and trigger.events == ["ticket_created"]
    assert trigger.conditions == {
        "all": [{"type": "text", "field": "subject_or_body", "op": "contains", "value": "lasku"}]
    }
    assert trigger.actions == [{"type": "add_tags", "tags": ["laskutus"]}]

    # Tickets created through tiski.tickets.actions: the matching one is tagged.
    billing = make_ticket(subject="Kysymys", text="Laskussani on virhe, voitteko korjata?")
    other = make_ticket(subject="Tilaus", text="Missä pakettini on?")
    assert tags(billing) == {"laskutus"}
    assert tags(other) == set()
    trigger.refresh_from_db()
    assert trigger.fire_count == 1 and trigger.last_fired_at is not None

    # The list shows the firing, and the firings page names the ticket.
    page.reload()
    expect(page.locator(f"#rule-{trigger.pk} .num-col")).to_have_text("1")
    page.click(f"#rule-{trigger.pk} a[href$='/firings/']")
    expect(page.locator(".firing-table")).to_contain_text(f"#{billing.number}")
    assert RuleFiring.objects.filter(rule_id=trigger.pk, ticket=billing).exists()


def test_switch_and_reorder_in_the_list(new_page, admin_user):
    first = Trigger.objects.create(
        name="Ensimmäinen", position=10, events=["ticket_created"], actions=[{"type": "x"}]
    )
    second = Trigger.objects.create(
        name="Toinen", position=20, events=["ticket_created"], actions=[{"type": "x"}]
    )
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/rules/triggers/")

    switch = page.locator(f"#active-{first.pk}")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(page.locator(f"#active-{first.pk}")).to_have_attribute("aria-checked", "false")
    first.refresh_from_db()
    assert not first.active
    assert page.url.endswith("/settings/rules/triggers/")  # no page load: htmx swapped the rows

    page.click(f"#up-{second.pk}")
    expect(page.locator("#rule-rows tr").first).to_contain_text("Toinen")
    assert list(Trigger.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]

    # Dragging the top row below the other puts them back, and the order is saved.
    # The test waits for the server's answer before reading: a read from this thread
    # while the server writes would collide on SQLite's shared in-memory test database.
    with page.expect_response(lambda r: r.url.endswith("/triggers/order/")) as answer:
        page.locator(f"#rule-{second.pk}").drag_to(
            page.locator(f"#rule-{first.pk}"), target_position={"x": 20, "y": 30}
        )
    assert answer.value.ok
    expect(page.locator("#rule-rows tr").first).to_contain_text("Ensimmäinen")
    assert list(Trigger.objects.order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        second.pk,
    ]
    # The server's renumbered rows replaced the dragged ones.
    expect(page.locator(f"#up-{first.pk}")).to_be_disabled()


def test_inputs_follow_what_is_chosen(new_page, admin_user, make_user):
    """ "is one of" turns the value into checkboxes; per-language and chosen-agent
    inputs appear only when asked for; removing a row removes it from the rule."""
    agent = make_user(name="Minna Virtanen")
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/rules/triggers/new/")
    section = page.locator("[data-conditions] .root-group > [data-section=all]")
    section.locator("[data-add-condition]").click()
    expect(section.locator(".rule-row")).to_have_count(1)
    settled(page)
    section.locator(".rule-row select[data-type-select]").select_option("status")
    value = section.locator(".rule-row [data-param=value]")
    expect(value.locator("select")).to_be_visible()
    settled(page)
    value.locator("select").select_option("pending")
    section.locator(".rule-row [data-param=op] select").select_option("in")
    # The row came back with checkboxes, the chosen status still ticked.
    expect(value.locator("input[type=checkbox][value=pending]")).to_be_checked()
    expect(value.locator("input[type=checkbox][value=open]")).not_to_be_checked()

    page.click("[data-add-action]")
    expect(page.locator("#action-rows .rule-row")).to_have_count(1)
    settled(page)
    page.locator("#action-rows .rule-row select[data-type-select]").select_option("notify")
    notify = page.locator("#action-rows .rule-row")
    expect(notify.locator("[data-param=to]")).to_be_visible()
    settled(page)
    agents = notify.locator(".list-part")
    expect(agents).to_be_hidden()
    notify.locator("[data-param=to] select").select_option("__list__")
    expect(agents).to_be_visible()
    agents.locator(f"input[value='{agent.pk}']").check()

    single = notify.locator(".loc-single textarea")
    finnish = notify.locator(".loc-multi textarea").first
    expect(single).to_be_visible()
    expect(finnish).to_be_hidden()
    notify.locator(".per-language input").check()
    expect(single).to_be_hidden()
    expect(finnish).to_be_visible()
    finnish.fill("Tiketti odottaa")

    # A second action, then removed again.
    page.click("[data-add-action]")
    expect(page.locator("#action-rows .rule-row")).to_have_count(2)
    settled(page)
    page.locator("#action-rows .rule-row").nth(1).locator("[data-remove-row]").click()
    expect(page.locator("#action-rows .rule-row")).to_have_count(1)

    page.fill("#id_name", "Odottavat")
    page.check("#events input[value=status_changed]")
    page.click("#save-rule")
    page.wait_for_url("**/settings/rules/triggers/")
    trigger = Trigger.objects.get(name="Odottavat")
    assert trigger.conditions == {"all": [{"type": "status", "op": "in", "value": ["pending"]}]}
    assert trigger.actions == [
        {"type": "notify", "to": [agent.pk], "text": {"fi": "Tiketti odottaa"}}
    ]


def test_a_tag_page_lists_the_rules_using_it_and_a_rename_reaches_them(
    new_page, admin_user, make_ticket
):
    from tiski.macros.models import Macro
    from tiski.tickets import actions
    from tiski.tickets.models import Tag, Via

    trigger = Trigger.objects.create(
        name="VIP-asiakkaat kiireellisiksi",
        events=["ticket_created"],
        conditions={"all": [{"type": "tags", "op": "contains", "tags": ["vip"]}]},
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    Macro.objects.create(
        name="VIP-tervehdys", shortcut="vip", text_fi="Hei!", add_tags=["vip", "kiitos"]
    )
    actions.set_tags(make_ticket(), ["vip"], actor=None, via=Via.SYSTEM)
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto(f"/settings/tags/{Tag.objects.get(name='vip').pk}/")
    uses = page.locator("#tag-uses")
    expect(uses).to_contain_text("VIP-asiakkaat kiireellisiksi")
    expect(uses).to_contain_text("VIP-tervehdys")
    screenshot(page, "tag-uses")
    page.fill("#tag-rename input[name=name]", "kanta-asiakas")
    page.click("#tag-rename button[type=submit]")
    expect(page.locator("#tag-uses")).to_contain_text("VIP-asiakkaat kiireellisiksi")
    trigger.refresh_from_db()
    assert trigger.conditions["all"][0]["tags"] == ["kanta-asiakas"]
    assert Macro.objects.get(shortcut="vip").add_tags == ["kanta-asiakas", "kiitos"]
