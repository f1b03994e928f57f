"""Imported answers credit where they come from (Stack Exchange content is CC BY-SA), and dropped images say so."""

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError
from wagtail.models import Page

from qa_site.knowledge.models import QuestionPage

from .imported import make_imported_page
from .test_commands import SITE, answer, question, run, write_posts

LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"

POSTS = [
    {
        **question(1, "Can trustees be paid for training?", "<p>Our trustee is a trainer.</p>", accepted=2),
        "OwnerUserId": 10,
    },
    {
        **answer(
            2,
            1,
            '<p>Only if the constitution allows it. See the chart:</p><p><a href="https://i.stack.imgur.com/c.png">'
            '<img src="https://i.stack.imgur.com/c.png" alt="Flow chart of the Charity Commission rules"></a></p>'
            '<p>And <img src="https://i.stack.imgur.com/d.png" alt="enter image description here"> this.</p>',
        ),
        "OwnerUserId": 20,
    },
    {**question(3, "Do volunteer drivers need checks?", "<p>We run a car scheme.</p>"), "OwnerDisplayName": "Gone"},
    {**answer(4, 3, "<p>Not usually.</p>"), "OwnerUserId": 30},
]

USERS = """<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="10" DisplayName="Quentin Asker" Reputation="11" />
  <row Id="20" DisplayName="Ada  Answerer" Reputation="2201" />
  <row Id="99" DisplayName="Someone else" Reputation="1" />
</users>
"""


@pytest.fixture
def dump(tmp_path):
    write_posts(tmp_path / "Posts.xml", POSTS)
    (tmp_path / "Users.xml").write_text(USERS, encoding="utf-8")
    return tmp_path


def body_of(client, page):
    return BeautifulSoup(client.get(page.url).content, "html.parser")


def test_an_imported_answer_credits_the_site_the_original_its_authors_and_the_licence(dump, topic, client, alice):
    run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug)
    page = QuestionPage.objects.get(title="Can trustees be paid for training?")
    assert page.source_name == "law.stackexchange.com"
    assert page.source_url == "https://law.stackexchange.com/q/1"
    assert page.source_authors == [
        {"name": "Quentin Asker", "url": "https://law.stackexchange.com/users/10", "role": "question"},
        {"name": "Ada Answerer", "url": "https://law.stackexchange.com/users/20", "role": "answer"},
    ]
    assert (page.source_licence, page.source_licence_url) == ("CC BY-SA 4.0", LICENCE_URL)

    for reader in (None, alice):  # the teaser and the full answer both carry it
        if reader:
            client.force_login(reader)
        credit = body_of(client, page).find(attrs={"data-testid": "attribution"})
        assert " ".join(credit.get_text().split()) == (
            "Adapted from the original question on law.stackexchange.com, question by Quentin Asker and answer by "
            "Ada Answerer. Licensed under CC BY-SA 4.0."
        )
        links = [(a.get_text(), a["href"]) for a in credit.find_all("a")]
        assert links == [
            ("the original question on law.stackexchange.com", "https://law.stackexchange.com/q/1"),
            ("Quentin Asker", "https://law.stackexchange.com/users/10"),
            ("Ada Answerer", "https://law.stackexchange.com/users/20"),
            ("CC BY-SA 4.0", LICENCE_URL),
        ]


def test_authors_without_users_xml_are_named_as_the_dump_allows(tmp_path, topic):
    write_posts(tmp_path / "Posts.xml", POSTS)  # no Users.xml beside it
    run("import_stackexchange", *SITE, str(tmp_path / "Posts.xml"), "--topic", topic.slug)
    paid = QuestionPage.objects.get(title="Can trustees be paid for training?")
    assert [(a["name"], a["url"]) for a in paid.source_authors] == [
        ("user10", "https://law.stackexchange.com/users/10"),
        ("user20", "https://law.stackexchange.com/users/20"),
    ]
    drivers = QuestionPage.objects.get(title="Do volunteer drivers need checks?")
    assert drivers.source_authors == [  # a deleted account: its name only, no profile to link to
        {"name": "Gone", "url": "", "role": "question"},
        {"name": "user30", "url": "https://law.stackexchange.com/users/30", "role": "answer"},
    ]


def test_a_dropped_image_leaves_a_note_linked_to_the_original_never_an_empty_link(dump, topic, client, alice):
    run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug)
    page = QuestionPage.objects.get(title="Can trustees be paid for training?")
    client.force_login(alice)
    answer_body = body_of(client, page).find(attrs={"data-testid": "full-answer"})
    assert [(a.get_text(), a["href"]) for a in answer_body.find_all("a")] == [
        ("[image not imported: Flow chart of the Charity Commission rules]", "https://law.stackexchange.com/a/2"),
        ("[image not imported]", "https://law.stackexchange.com/a/2"),
    ]
    assert answer_body.find("img") is None
    assert "And [image not imported] this." in " ".join(answer_body.get_text().split())


def test_running_the_import_again_credits_pages_imported_before_credit_was_recorded(dump, topic):
    run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug)
    paid = QuestionPage.objects.get(title="Can trustees be paid for training?")
    drivers = QuestionPage.objects.get(title="Do volunteer drivers need checks?")
    # As the import used to leave them: no credit, and an empty link where the image was.
    old_answer = '<p>See the chart:</p><p><a href="https://i.stack.imgur.com/c.png" rel="nofollow noopener"></a></p>'
    QuestionPage.objects.filter(pk__in=[paid.pk, drivers.pk]).update(
        source_name="", source_url="", source_authors=[], source_licence="", source_licence_url="", answer=old_answer
    )
    drivers.answer = "Edited by a coordinator since."
    drivers.save_revision()  # edited in the admin: its text is left alone, its credit is still added

    output = run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug)

    assert "Imported: 0" in output
    assert "Credit to the original added to pages imported before: 2" in output
    paid.refresh_from_db()
    drivers.refresh_from_db()
    assert (paid.source_url, drivers.source_url) == (
        "https://law.stackexchange.com/q/1",
        "https://law.stackexchange.com/q/3",
    )
    assert [a["name"] for a in paid.source_authors] == ["Quentin Asker", "Ada Answerer"]
    assert "[image not imported: Flow chart of the Charity Commission rules]" in paid.answer
    assert drivers.answer == old_answer
    assert Page.objects.type(QuestionPage).count() == 2
    again = run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug)
    assert "Credit to the original" not in again  # nothing left to fill in


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("", "“” is not a site's address, like coffee.stackexchange.com."),
        ("not a site", "“not a site” is not a site's address, like coffee.stackexchange.com."),
        ("javascript:alert(1)", "is not a site's address"),
    ],
)
def test_the_site_must_be_a_host_name(dump, topic, site, message):
    with pytest.raises(CommandError, match=message):
        run("import_stackexchange", "--site", site, str(dump / "Posts.xml"), "--topic", topic.slug)
    assert not QuestionPage.objects.exists()


def test_the_site_may_be_given_as_an_address(dump, topic):
    run(
        "import_stackexchange",
        "--site",
        "https://Law.StackExchange.com/",
        str(dump / "Posts.xml"),
        "--topic",
        topic.slug,
    )
    assert set(QuestionPage.objects.values_list("source_name", flat=True)) == {"law.stackexchange.com"}


def test_a_missing_users_file_is_refused(dump, topic):
    with pytest.raises(CommandError, match="--users: no such file: nowhere.xml"):
        run("import_stackexchange", *SITE, str(dump / "Posts.xml"), "--topic", topic.slug, "--users", "nowhere.xml")


CSV = "\n".join(
    [
        "id,title,question,answer,source_site,source_url,source_author,source_author_url,source_licence,"
        "source_licence_url",
        "c1,Can we pay a trustee?,Our trustee is a trainer.,Only if allowed.,Charity Answers Wiki,"
        "https://wiki.example.org/pay,Sam Writer,https://wiki.example.org/u/sam,CC BY-SA 4.0,"
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "c2,Written by us,Question.,Answer.,,,,,,",
        "c3,Bad link,Question.,Answer.,Wiki,javascript:alert(1),,,,",
        "c4,Author link alone,Question.,Answer.,Wiki,,,https://wiki.example.org/u/x,,",
        "",
    ]
)


def test_csv_rows_may_say_where_they_come_from(tmp_path, topic, client):
    path = tmp_path / "answers.csv"
    path.write_text(CSV, encoding="utf-8")
    output = run("import_csv", str(path), "--topic", topic.slug)
    assert "Imported: 2" in output
    assert "line 4: source_url “javascript:alert(1)” is not an http or https address" in output
    assert "line 5: source_author_url needs source_author" in output
    credited = QuestionPage.objects.get(title="Can we pay a trustee?")
    assert " ".join(body_of(client, credited).find(attrs={"data-testid": "attribution"}).get_text().split()) == (
        "Adapted from the original question on Charity Answers Wiki, by Sam Writer. Licensed under CC BY-SA 4.0."
    )
    ours = QuestionPage.objects.get(title="Written by us")
    assert ours.attribution is None
    assert body_of(client, ours).find(attrs={"data-testid": "attribution"}) is None


def test_coordinators_find_the_credit_in_the_page_editor(client, topic, colin):
    page = make_imported_page(topic)
    client.force_login(colin)
    editor = BeautifulSoup(client.get(f"/admin/pages/{page.pk}/edit/").content, "html.parser")
    assert editor.select_one("input[name=source_url]")["value"] == "https://law.stackexchange.com/q/1"
    assert editor.select_one("input[name=source_licence]")["value"] == "CC BY-SA 4.0"
    assert '"name": "Ada Answerer"' in editor.select_one("textarea[name=source_authors]").get_text()
