"""The agents' knowledge-base pages, and the knowledge base on the ticket page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.knowledge.models import Article, ArticleSend, ArticleStatus, ArticleTranslation

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.AGENT)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/knowledge/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_light_agent_reads_but_does_not_write(client, make_user, kb):
    client.force_login(make_user(role=Role.LIGHT_AGENT))
    assert client.get("/knowledge/").status_code == 200
    assert client.get("/knowledge/new/").status_code == 403
    url = reverse("knowledge:status", args=[kb.draft.article_id, "fi"])
    assert client.post(url, {"status": "published"}).status_code == 403
    kb.draft.refresh_from_db()
    assert kb.draft.status == ArticleStatus.DRAFT


def test_agent_writes_and_publishes_an_article(agent_client, kb):
    response = agent_client.post(
        "/knowledge/new/",
        {
            "section": kb.section.pk,
            "language": "fi",
            "title": "Tilauksen peruminen",
            "slug": "",
            "description": "",
            "body_html": "<h2>Peruminen</h2><ul><li>Kirjaudu</li></ul><script>x</script>",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    translation = ArticleTranslation.objects.get(title="Tilauksen peruminen")
    assert translation.status == ArticleStatus.PUBLISHED
    assert translation.slug == "tilauksen-peruminen"
    assert "<script>" not in translation.body_html
    public = agent_client.get("/help/fi/articles/tilauksen-peruminen/")
    assert public.status_code == 200 and "<li>Kirjaudu</li>" in public.content.decode()


def test_archiving_takes_an_article_off_the_help_centre(agent_client, kb):
    url = reverse("knowledge:status", args=[kb.published.article_id, "fi"])
    assert agent_client.post(url, {"status": "archived"}).status_code == 302
    assert agent_client.get(f"/help/fi/articles/{kb.published.slug}/").status_code == 404


def test_history_shows_the_diff_and_restores(agent_client, kb):
    edit = reverse("knowledge:edit", args=[kb.published.article_id, "fi"])
    agent_client.post(
        edit,
        {
            "section": kb.section.pk,
            "language": "fi",
            "title": kb.published.title,
            "slug": kb.published.slug,
            "body_html": "<p>Kokonaan uusi teksti</p>",
        },
    )
    history = agent_client.get(reverse("knowledge:history", args=[kb.published.article_id, "fi"]))
    body = history.content.decode()
    assert "<ins>Kokonaan uusi teksti</ins>" in body
    assert "<del>Avaa lasku</del>" in body
    first = kb.published.versions.get(number=1)
    assert agent_client.post(reverse("knowledge:restore", args=[first.pk])).status_code == 302
    kb.published.refresh_from_db()
    assert "Avaa lasku" in kb.published.body_html


def test_image_upload_is_sniffed_and_served_publicly(agent_client, kb):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ok = agent_client.post(
        "/knowledge/images/", {"image": SimpleUploadedFile("a.png", PNG, "image/png")}
    )
    assert ok.status_code == 200
    url = ok.json()["url"]
    served = agent_client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    bad = agent_client.post(
        "/knowledge/images/", {"image": SimpleUploadedFile("a.png", b"<svg/>", "image/png")}
    )
    assert bad.status_code == 400


def test_image_addresses_cannot_be_found_by_counting(agent_client, client, kb):
    """An image's URL carries a random key: its row number, or a neighbour's, finds nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tiski.knowledge.models import ArticleImage

    urls = [
        agent_client.post(
            "/knowledge/images/", {"image": SimpleUploadedFile("a.png", PNG, "image/png")}
        ).json()["url"]
        for _ in range(2)
    ]
    images = list(ArticleImage.objects.order_by("pk"))
    assert urls == [f"/help/images/{image.key}/" for image in images]
    assert len(images[0].key) >= 20 and images[0].key != images[1].key
    for image in images:
        assert client.get(f"/help/images/{image.pk}/").status_code == 404
    assert client.get(urls[1]).status_code == 200


def test_ticket_page_suggests_articles_and_offers_the_picker(agent_client, kb, make_ticket):
    ticket = make_ticket(subject="Laskun eräpäivä siirtyy?")
    body = agent_client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert 'id="kb-suggested"' in body
    assert reverse("knowledge:edit", args=[kb.published.article_id, "fi"]) in body
    assert kb.draft.title not in body
    assert 'id="kb-picker"' in body
    picker = agent_client.get("/knowledge/picker/", {"kb_q": "mitätöinti", "lang": "fi"})
    assert kb.internal.title.split()[0] in picker.content.decode()


def test_a_sent_reply_counts_its_articles(agent_client, kb, make_ticket, mailbox):
    ticket = make_ticket()
    response = agent_client.post(
        reverse("desk:ticket-reply", args=[ticket.number]),
        {
            "kind": "public",
            "text": "Katso ohje",
            "last_seen_message": ticket.messages.last().pk,
            "kb_article": [str(kb.published.article_id), "999999", "x"],
        },
    )
    assert response.status_code == 302
    assert ArticleSend.objects.get().ticket == ticket
    assert Article.objects.get(pk=kb.published.article_id).sent_count == 1


def test_article_list_counts_the_solved_tickets_an_article_was_sent_on(
    agent_client, agent, kb, make_ticket
):
    """Each solved (or closed) ticket counts once, however often the article went on it;
    an open ticket does not count, and a reopened one stops counting."""
    import re

    from tiski.knowledge import actions as knowledge_actions
    from tiski.tickets import actions
    from tiski.tickets.models import Status, Via

    article = kb.published.article
    solved, still_open = make_ticket(subject="Ratkeaa"), make_ticket(subject="Auki")
    for ticket in (solved, solved, still_open):
        knowledge_actions.record_send(article, ticket, agent)
    actions.update_ticket(solved, actor=agent, via=Via.AGENT, status=Status.SOLVED)

    def shown() -> str:
        page = agent_client.get("/knowledge/").content.decode()
        link = reverse("knowledge:edit", args=[article.pk, "fi"])
        row = page[page.index(f'href="{link}"') :]
        return re.search(r'class="kb-solved">(\d+)<', row).group(1)

    assert shown() == "1"
    actions.update_ticket(solved, actor=agent, via=Via.AGENT, status=Status.OPEN)
    assert shown() == "0"


def test_suggestions_follow_a_published_article_at_once(agent_client, kb, make_ticket):
    """The side panel's suggestions are cached, under the help centre's content
    version: publishing a draft shows it on the next page view."""
    from tiski.knowledge import actions as kb_actions

    ticket = make_ticket(subject="Hyvityslasku puuttuu")
    url = reverse("desk:ticket", args=[ticket.number])
    draft_link = reverse("knowledge:edit", args=[kb.draft.article_id, "fi"])
    assert draft_link not in agent_client.get(url).content.decode()

    kb_actions.set_status(kb.draft, ArticleStatus.PUBLISHED, actor=None)
    assert draft_link in agent_client.get(url).content.decode()

    kb_actions.set_status(kb.draft, ArticleStatus.ARCHIVED, actor=None)
    assert draft_link not in agent_client.get(url).content.decode()
