"""Imported answers carry their credit (site, original, authors, licence) into feeds and the widget."""

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from feeds import counting
from subscriptions.models import AccessKey, Plan
from tests.factories import make_published_page
from tests.imports.imported import CREDIT_TEXT, make_imported_page

LICENCE = "CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/"


@pytest.fixture(autouse=True)
def counts_stay_in_the_cache():
    cache.set(counting.LOCAL_FLUSH_MARK, 1, timeout=None)


@pytest.fixture
def answers(topic, erin):
    ours = make_published_page(topic=topic, title="Written here", expert=erin)
    imported = make_imported_page(topic)
    return {"ours": ours, "imported": imported}


def entries(client, path):
    parsed = feedparser.parse(client.get(path).content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return {entry.title: entry for entry in parsed.entries}


def test_rss_items_of_imported_answers_credit_the_original(client, answers):
    items = entries(client, "/feeds/latest.rss")
    imported = items["Can trustees be paid for training?"]
    assert imported.summary.endswith(f"Read the full answer: http://testserver{answers['imported'].url} {CREDIT_TEXT}")
    assert imported.rights == LICENCE
    assert [author.name for author in imported.authors] == ["Quentin Asker", "Ada Answerer"]  # dc:creator
    ours = items["Written here"]
    assert "Adapted from" not in ours.summary
    assert "rights" not in ours


def test_atom_entries_of_imported_answers_credit_the_original(client, answers):
    imported = entries(client, "/feeds/latest.atom")["Can trustees be paid for training?"]
    assert imported.summary.endswith(CREDIT_TEXT)
    assert imported.rights == LICENCE
    assert imported.link == f"http://testserver{answers['imported'].url}"  # the answer here; the original is credited
    assert [(author.name, author.href) for author in imported.authors] == [
        ("Quentin Asker", "https://law.stackexchange.com/users/10"),
        ("Ada Answerer", "https://law.stackexchange.com/users/20"),
    ]
    ours = entries(client, "/feeds/latest.atom")["Written here"]
    assert "rights" not in ours


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_full_text_feeds_end_an_imported_answer_with_its_credit(client, answers, northshire, fmt):
    Plan.objects.filter(subscriptions__network=northshire).update(full_answers_in_widgets=True)
    key = AccessKey.objects.create(network=northshire, name="Intranet", kind=AccessKey.Kind.FEED)
    imported = entries(client, f"/feeds/key/{key.key}.{fmt}")["Can trustees be paid for training?"]
    content = BeautifulSoup(imported.content[0].value, "html.parser")
    assert content.select_one("p").get_text() == "Only if the constitution allows it."
    credit = content.select("p")[-1]  # (feedparser drops data- attributes)
    assert " ".join(credit.get_text().split()) == (
        "Adapted from the original question on law.stackexchange.com, question by Quentin Asker and answer by "
        "Ada Answerer. Licensed under CC BY-SA 4.0."
    )
    assert [a["href"] for a in credit.select("a")] == [
        "https://law.stackexchange.com/q/1",
        "https://law.stackexchange.com/users/10",
        "https://law.stackexchange.com/users/20",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ]


@pytest.fixture
def widget_key(northshire, nadia):
    return AccessKey.objects.create(network=northshire, name="Website", kind="widget", created_by=nadia)


def test_widget_json_carries_the_credit_of_imported_answers(client, answers, widget_key):
    Plan.objects.filter(slug="standard").update(full_answers_in_widgets=True)
    items = {item["title"]: item for item in client.get("/embed/answers.json", {"key": widget_key.key}).json()["items"]}
    assert items["Can trustees be paid for training?"]["source"] == {
        "name": "law.stackexchange.com",
        "url": "https://law.stackexchange.com/q/1",
        "authors": [
            {"name": "Quentin Asker", "url": "https://law.stackexchange.com/users/10", "role": "question"},
            {"name": "Ada Answerer", "url": "https://law.stackexchange.com/users/20", "role": "answer"},
        ],
        "licence": {"name": "CC BY-SA 4.0", "url": "https://creativecommons.org/licenses/by-sa/4.0/"},
        "text": CREDIT_TEXT,
    }
    assert items["Written here"]["source"] is None


@pytest.mark.parametrize("style", ["light", "compact"])
def test_the_widget_frame_shows_the_credit_of_imported_answers(client, answers, widget_key, style):
    page = BeautifulSoup(client.get("/embed/frame/", {"key": widget_key.key, "style": style}).content, "html.parser")
    credits = page.select("[data-testid=attribution]")
    assert len(credits) == 1  # the imported answer's; none for the one written here
    assert " ".join(credits[0].get_text().split()) == (
        "From law.stackexchange.com, question by Quentin Asker and answer by Ada Answerer · CC BY-SA 4.0"
    )
    assert [a["href"] for a in credits[0].select("a")] == [
        "https://law.stackexchange.com/q/1",
        "https://law.stackexchange.com/users/10",
        "https://law.stackexchange.com/users/20",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ]


def test_the_widget_script_renders_the_credit(client):
    script = client.get("/embed/widget.js").content.decode()
    assert "if (item.source) li.appendChild(credit(item.source));" in script
