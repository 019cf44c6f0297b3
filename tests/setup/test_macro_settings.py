"""Settings → Ready answers: search, the editor, tags, actions and the live preview."""

from __future__ import annotations

from django.urls import reverse

from tiski.macros.models import Macro

from .conftest import last_change

NEW = reverse("setup:macro-new")


def data(**extra) -> dict:
    return {
        "name": "Toimitus myöhässä",
        "shortcut": "myohassa",
        "active": "on",
        "text_fi": "Hei {{ requester.first_name }}, tilauksesi #{{ ticket.number }} on matkalla.",
        **extra,
    }


def test_agent_gets_403(agent_client, db):
    for url in (reverse("setup:macros"), NEW):
        assert agent_client.get(url).status_code == 403
    assert agent_client.post(reverse("setup:macro-preview"), {"text_fi": "x"}).status_code == 403


def test_new_ready_answer_with_tags_and_actions_is_saved_and_logged(admin_client, admin, make_team):
    team = make_team("Logistiikka")
    response = admin_client.post(
        NEW,
        data(
            set_status="pending",
            set_priority="high",
            set_team=str(team.pk),
            tags="Toimitus, myöhässä , toimitus",
        ),
    )
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.add_tags == ["toimitus", "myöhässä"]
    assert (macro.set_status, macro.set_priority, macro.set_team) == ("pending", "high", team)
    assert macro.owner is None
    change = last_change("macros")
    assert change.action == "created" and change.actor == admin
    assert change.changes["tags"] == [[], ["toimitus", "myöhässä"]]
    assert change.changes["set_team"] == [None, "Logistiikka"]


def test_unknown_placeholder_empty_text_and_taken_shortcut_are_explained(admin_client, db):
    Macro.objects.create(name="Kiitos", shortcut="kiitos", text_fi="Kiitos!")
    text = admin_client.post(NEW, data(text_fi="Hei {{ asiakas }}")).content.decode()
    assert "Unknown placeholders asiakas." in text
    text = admin_client.post(NEW, data(text_fi="")).content.decode()
    assert "Write the answer in at least one language." in text
    text = admin_client.post(NEW, data(shortcut="Kiitos")).content.decode()
    assert "The shortcut ;kiitos is already used by “Kiitos”. Choose another." in text
    assert Macro.objects.count() == 1


def test_list_search_finds_by_name_shortcut_and_text(admin_client, db):
    Macro.objects.create(name="Kiitos", shortcut="kiitos", text_fi="Kiitos yhteydenotosta!")
    Macro.objects.create(name="Palautus", shortcut="palautus", text_en="Send the item back.")
    page = admin_client.get(reverse("setup:macros"), {"q": "item back"}).content.decode()
    assert "Palautus" in page and "Kiitos" not in page
    rows = admin_client.get(
        reverse("setup:macros"), {"q": ";kii"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert rows.startswith('<tbody id="macro-rows">')
    assert "Kiitos" in rows and "Palautus" not in rows


def test_editing_changes_only_what_changed_in_the_log(admin_client, db):
    macro = Macro.objects.create(
        name="Kiitos", shortcut="kiitos", text_fi="Kiitos!", add_tags=["kiitos"]
    )
    edit = reverse("setup:macro-edit", args=[macro.pk])
    page = admin_client.get(edit).content.decode()
    assert 'value="kiitos"' in page  # the tag field shows the tags
    admin_client.post(
        edit,
        {
            "name": "Kiitos",
            "shortcut": "kiitos",
            "active": "on",
            "text_fi": "Kiitos paljon!",
            "tags": "kiitos",
        },
    )
    assert last_change("macros").changes == {"text_fi": ["Kiitos!", "Kiitos paljon!"]}


def test_preview_renders_against_the_newest_ticket(admin_client, admin, make_ticket, make_contact):
    ticket = make_ticket(
        subject="Paketti kateissa", requester=make_contact(name="Maija Meikäläinen")
    )
    response = admin_client.post(
        reverse("setup:macro-preview"),
        {
            "text_fi": "Hei {{ requester.first_name }}, #{{ ticket.number }}. "
            "{{ agent.name }} {{ typo }}"
        },
    )
    text = response.content.decode()
    assert f"Hei Maija, #{ticket.number}. Anna Admin {{{{ typo }}}}" in text
    assert "Unknown placeholders: typo." in text
    assert "Paketti kateissa" in text


def test_preview_without_tickets_uses_a_sample(admin_client, db):
    response = admin_client.post(
        reverse("setup:macro-preview"), {"text_en": "Hello {{ requester.first_name }}"}
    )
    assert "Hello Maija" in response.content.decode()
    assert "As it would read on a sample ticket." in response.content.decode()


def test_saving_an_unchanged_ready_answer_writes_no_log_entry(admin_client, db):
    macro = Macro.objects.create(
        name="Kiitos", shortcut="kiitos", text_fi="Kiitos!", add_tags=["kiitos"]
    )
    edit = reverse("setup:macro-edit", args=[macro.pk])
    data = {"name": "Kiitos", "shortcut": "kiitos", "active": "on", "text_fi": "Kiitos!"}
    admin_client.post(edit, {**data, "tags": "kiitos"})
    assert last_change("macros") is None
