"""Ticket types, priority labels and tags in Settings."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from tiski.setup.models import SettingChange
from tiski.tickets import actions
from tiski.tickets.labels import priority_choices, priority_label
from tiski.tickets.models import Event, Priority, PriorityLabel, Status, Tag, TicketType, Via


def type_names() -> list[str]:
    return list(TicketType.objects.order_by("position", "pk").values_list("name_en", flat=True))


# --- ticket types --------------------------------------------------------------


def test_add_a_ticket_type_goes_last_with_a_slug(admin_session):
    before = type_names()
    response = admin_session.post(
        reverse("setup:ticket-type-new"),
        {"name_fi": "Takuu", "name_en": "Warranty claim", "active": "on"},
    )
    assert response.status_code == 302
    new = TicketType.objects.get(name_en="Warranty claim")
    assert new.slug == "warranty-claim"
    assert type_names() == [*before, "Warranty claim"]
    assert SettingChange.objects.get(section="ticket_types").action == "created"


def test_rename_and_deactivate_a_ticket_type(admin_session):
    ticket_type = TicketType.objects.order_by("position").first()
    response = admin_session.post(
        reverse("setup:ticket-type-edit", args=[ticket_type.pk]),
        {"name_fi": "Kysely", "name_en": ticket_type.name_en},
    )
    assert response.status_code == 302
    ticket_type.refresh_from_db()
    assert (ticket_type.name_fi, ticket_type.active) == ("Kysely", False)
    change = SettingChange.objects.get(section="ticket_types")
    assert change.changes["name_fi"][1] == "Kysely"
    assert change.changes["active"] == [True, False]
    # Inactive types are not offered for new tickets.
    page = admin_session.get(reverse("desk:ticket-new")).content.decode()
    assert ">Kysely</option>" not in page


def test_duplicate_type_name_is_refused_in_a_sentence(admin_session):
    existing = TicketType.objects.first()
    response = admin_session.post(
        reverse("setup:ticket-type-new"),
        {"name_fi": existing.name_fi.upper(), "name_en": "Something new", "active": "on"},
    )
    assert response.status_code == 200
    assert existing.name_fi.upper() in response.content.decode()
    assert not SettingChange.objects.exists()


def test_move_a_ticket_type_up(admin_session):
    names = type_names()
    last = TicketType.objects.get(name_en=names[-1])
    admin_session.post(reverse("setup:ticket-type-move", args=[last.pk]), {"direction": "up"})
    assert type_names() == [*names[:-2], names[-1], names[-2]]
    assert SettingChange.objects.get(section="ticket_types").changes["order"] == [
        len(names),
        len(names) - 1,
    ]
    # The first cannot go further up: nothing changes, nothing is logged.
    first = TicketType.objects.get(name_en=names[0])
    admin_session.post(reverse("setup:ticket-type-move", args=[first.pk]), {"direction": "up"})
    assert SettingChange.objects.count() == 1


# --- priority labels -----------------------------------------------------------


def priority_data(**labels) -> dict:
    data = {f"{p}_{lang}": "" for p in Priority.values for lang in ("fi", "en")}
    data.update(labels)
    return data


def test_priority_labels_override_per_language_and_show_in_the_desk(admin_session, make_ticket):
    make_ticket(subject="Palvelin alhaalla", priority=Priority.URGENT)
    response = admin_session.post(
        reverse("setup:priorities"), priority_data(urgent_fi="P1 – heti", urgent_en="P1")
    )
    assert response.status_code == 302
    assert PriorityLabel.objects.count() == 2
    change = SettingChange.objects.get(section="priorities")
    assert change.changes == {"urgent_en": [None, "P1"], "urgent_fi": [None, "P1 – heti"]}

    with translation.override("en"):
        assert priority_label("urgent") == "P1"
        assert dict(priority_choices())["high"] == "High"
    # The admin's desk is in Finnish: the inbox shows the Finnish override.
    page = admin_session.get(reverse("desk:inbox") + "?view=all").content.decode()
    assert "P1 – heti" in page

    # Emptying a box goes back to the built-in label.
    admin_session.post(reverse("setup:priorities"), priority_data(urgent_en="P1"))
    assert list(PriorityLabel.objects.values_list("language", flat=True)) == ["en"]


def test_priority_label_too_long_is_refused(admin_session):
    response = admin_session.post(reverse("setup:priorities"), priority_data(low_fi="x" * 41))
    assert response.status_code == 200
    assert "form-error" in response.content.decode()
    assert not PriorityLabel.objects.exists()


# --- tags -------------------------------------------------------------------------


def tag_names(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_tag_list_shows_usage_counts(admin_session, make_ticket):
    for _ in range(3):
        actions.set_tags(make_ticket(), ["lasku"], actor=None, via=Via.SYSTEM)
    actions.set_tags(make_ticket(), ["palautus"], actor=None, via=Via.SYSTEM)
    page = admin_session.get(reverse("setup:tags")).content.decode()
    assert page.index('data-tag="lasku"') < page.index('data-tag="palautus"')
    assert '<td class="num">3</td>' in page


def test_rename_a_tag_on_every_ticket_with_events(admin_session, admin_user, make_ticket):
    open_ticket = make_ticket()
    closed = make_ticket()
    actions.set_tags(open_ticket, ["lasku"], actor=None, via=Via.SYSTEM)
    actions.set_tags(closed, ["lasku"], actor=None, via=Via.SYSTEM)
    actions.update_ticket(closed, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    tag = Tag.objects.get(name="lasku")

    response = admin_session.post(
        reverse("setup:tag", args=[tag.pk]), {"action": "rename", "name": "Laskutus"}
    )
    assert response.status_code == 302
    assert tag_names(open_ticket) == {"laskutus"}
    assert tag_names(closed) == {"laskutus"}  # closed tickets too: the tag itself changed
    events = Event.objects.filter(ticket=open_ticket, field="tags", actor=admin_user)
    assert {(e.old_value, e.new_value) for e in events} == {("lasku", ""), ("", "laskutus")}
    assert all(e.meta["tag_housekeeping"] == "rename" for e in events)
    assert SettingChange.objects.get(section="tags").changes == {"name": ["lasku", "laskutus"]}


def test_rename_to_an_existing_tag_says_to_merge(admin_session, make_ticket):
    actions.set_tags(make_ticket(), ["lasku", "laskutus"], actor=None, via=Via.SYSTEM)
    tag = Tag.objects.get(name="lasku")
    response = admin_session.post(
        reverse("setup:tag", args=[tag.pk]), {"action": "rename", "name": "laskutus"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert Tag.objects.filter(name="lasku").exists()
    assert not SettingChange.objects.exists()


def test_merge_two_tags(admin_session, make_ticket):
    both = make_ticket()
    only_source = make_ticket()
    actions.set_tags(both, ["lasku", "laskutus"], actor=None, via=Via.SYSTEM)
    actions.set_tags(only_source, ["lasku"], actor=None, via=Via.SYSTEM)
    source = Tag.objects.get(name="lasku")
    response = admin_session.post(
        reverse("setup:tag", args=[source.pk]), {"action": "merge", "target": "laskutus"}
    )
    assert response.status_code == 302
    assert tag_names(both) == {"laskutus"}
    assert tag_names(only_source) == {"laskutus"}
    assert not Tag.objects.filter(name="lasku").exists()
    assert Event.objects.filter(ticket=both, field="tags", old_value="lasku").exists()
    change = SettingChange.objects.get(section="tags")
    assert change.changes == {"merged into": ["lasku", "laskutus"]}


def test_merge_into_an_unknown_or_the_same_tag_is_refused(admin_session, make_ticket):
    actions.set_tags(make_ticket(), ["lasku"], actor=None, via=Via.SYSTEM)
    source = Tag.objects.get(name="lasku")
    url = reverse("setup:tag", args=[source.pk])
    for target in ("ei-ole", "lasku"):
        response = admin_session.post(url, {"action": "merge", "target": target})
        assert response.status_code == 200
        assert 'aria-invalid="true"' in response.content.decode()
    assert Tag.objects.filter(name="lasku").exists()


def test_delete_a_tag_needs_confirmation_and_records_events(admin_session, make_ticket):
    ticket = make_ticket()
    actions.set_tags(ticket, ["vanha", "pysyy"], actor=None, via=Via.SYSTEM)
    tag = Tag.objects.get(name="vanha")
    url = reverse("setup:tag", args=[tag.pk])
    admin_session.post(url, {"action": "delete"})
    assert Tag.objects.filter(name="vanha").exists()

    response = admin_session.post(url, {"action": "delete", "confirm": "1"})
    assert response.status_code == 302
    assert tag_names(ticket) == {"pysyy"}
    assert not Tag.objects.filter(name="vanha").exists()
    event = Event.objects.get(ticket=ticket, field="tags", old_value="vanha")
    assert event.meta["tag_housekeeping"] == "delete"
    assert SettingChange.objects.get(section="tags").action == "deleted"
