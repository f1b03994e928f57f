"""The import commands: Stack Exchange dumps and CSV files become published answers, once each."""

import io
from xml.sax.saxutils import quoteattr

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qa_site.imports.models import ImportedItem
from qa_site.knowledge.models import QuestionPage

from .tree import assert_tree_valid


def write_posts(path, rows):
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
    for row in rows:
        lines.append("  <row " + " ".join(f"{key}={quoteattr(str(value))}" for key, value in row.items()) + " />")
    lines.append("</posts>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def question(id, title, body, *, accepted=None, tags="", date="2020-01-02T10:00:00.000"):
    row = {"Id": id, "PostTypeId": 1, "CreationDate": date, "Score": 3, "Title": title, "Body": body, "Tags": tags}
    if accepted:
        row["AcceptedAnswerId"] = accepted
    return row


def answer(id, parent, body, *, score=0, date="2020-01-05T09:30:00.000"):
    return {"Id": id, "PostTypeId": 2, "ParentId": parent, "CreationDate": date, "Score": score, "Body": body}


POSTS = [
    question(
        1,
        "Can trustees be paid for running training?",
        "<p>One of our trustees is a qualified trainer.</p><p>Can we pay her?</p>",
        accepted=3,
        tags="<governance><trustees>",
    ),
    answer(2, 1, "<p>Yes, always, no conditions.</p>", score=10),
    answer(3, 1, "<p>Only if the <strong>constitution</strong> allows it.</p><script>alert(1)</script>", score=2),
    question(4, "Do volunteer drivers need a DBS check?", "<p>We run a car scheme.</p>", tags="|transport|drivers|"),
    answer(5, 4, "<p>Not usually.</p>", score=1),
    answer(6, 4, '<p>It depends who they drive.</p><img src="https://evil.test/x.png">', score=7),
    question(7, "Nobody answered this one", "<p>Hello?</p>"),
]


NETWORK_ONLY = ("--visibility", "network", "--network")
SITE = ("--site", "law.stackexchange.com")


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def posts_xml(tmp_path):
    return write_posts(tmp_path / "Posts.xml", POSTS)


def test_import_stackexchange_creates_pages_with_the_chosen_answers(posts_xml, topic, other_topic, client, alice):
    output = run(
        "import_stackexchange",
        *SITE,
        str(posts_xml),
        "--topic",
        topic.slug,
        "--topic-map",
        f"transport={other_topic.slug}",
    )

    assert output.splitlines()[:4] == [
        "Imported: 2",
        "Skipped, already imported: 0",
        "Skipped, no answer: 1",
        "Errors: 0",
    ]
    paid = QuestionPage.objects.get(title="Can trustees be paid for running training?")
    drivers = QuestionPage.objects.get(title="Do volunteer drivers need a DBS check?")
    # The accepted answer beats a higher-scored one; with none accepted, the best-scored wins.
    assert paid.answer == "<p>Only if the <strong>constitution</strong> allows it.</p>"
    assert drivers.answer == (  # the image is not imported: a note says so, linked to the original answer
        '<p>It depends who they drive.</p><a href="https://law.stackexchange.com/a/6" rel="nofollow noopener">'
        "[image not imported]</a>"
    )
    assert paid.question_text == "One of our trustees is a qualified trainer.\n\nCan we pay her?"
    assert (paid.get_parent().pk, drivers.get_parent().pk) == (topic.pk, other_topic.pk)
    assert paid.live
    assert (paid.expert, paid.question) == (None, None)
    assert paid.first_published_at.isoformat() == "2020-01-05T09:30:00+00:00"
    assert str(paid.asked_on) == "2020-01-02"
    assert sorted(ImportedItem.objects.values_list("source", "external_id", "page_id")) == [
        ("stackexchange", "1", paid.pk),
        ("stackexchange", "4", drivers.pk),
    ]
    assert_tree_valid()

    client.force_login(alice)
    page = client.get(paid.url).content.decode()
    assert "Only if the <strong>constitution</strong> allows it." in page
    assert "alert(1)" not in page
    assert "Can trustees be paid for running training?" in client.get(topic.url).content.decode()


def test_import_stackexchange_accepted_answer_missing_from_the_dump(tmp_path, topic):
    posts = write_posts(
        tmp_path / "Posts.xml",
        [
            question(1, "Deleted accepted answer", "<p>Q.</p>", accepted=99),
            answer(2, 1, "<p>Second best.</p>", score=1),
            answer(3, 1, "<p>Best left.</p>", score=4),
            answer(4, 1, "<p>Tied, but later.</p>", score=4),
            answer(5, 77, "<p>An answer to a question not in the dump.</p>", score=9),
        ],
    )

    output = run("import_stackexchange", *SITE, str(posts), "--topic", topic.slug)

    assert output.splitlines()[:3] == ["Imported: 1", "Skipped, already imported: 0", "Skipped, no answer: 0"]
    assert QuestionPage.objects.get().answer == "<p>Best left.</p>"


def test_import_stackexchange_twice_imports_nothing_new(posts_xml, topic, tmp_path):
    run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug)
    write_posts(posts_xml, POSTS + [question(8, "A new question", "<p>New.</p>"), answer(9, 8, "<p>New answer.</p>")])

    output = run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug)

    assert output.splitlines()[:3] == ["Imported: 1", "Skipped, already imported: 2", "Skipped, no answer: 1"]
    assert QuestionPage.objects.count() == 3


def test_import_stackexchange_another_source_imports_again(posts_xml, topic):
    run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug)
    output = run(
        "import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug, "--source", "stackexchange:mirror"
    )

    assert output.splitlines()[0] == "Imported: 2"
    slugs = sorted(QuestionPage.objects.child_of(topic).values_list("slug", flat=True))
    assert slugs == [
        "can-trustees-be-paid-for-running-training",
        "can-trustees-be-paid-for-running-training-2",
        "do-volunteer-drivers-need-a-dbs-check",
        "do-volunteer-drivers-need-a-dbs-check-2",
    ]


def test_import_stackexchange_network_only(posts_xml, topic, northshire):
    run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug, *NETWORK_ONLY, "northshire")

    assert set(QuestionPage.objects.values_list("visibility", "network_id")) == {("network", northshire.pk)}


def test_import_stackexchange_malformed_xml_says_where(tmp_path, topic):
    broken = tmp_path / "Posts.xml"
    broken.write_text('<posts>\n  <row Id="1" PostTypeId="1" Title="Oops>\n</posts>\n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"is not well-formed XML \(line \d+, column \d+\)"):
        run("import_stackexchange", *SITE, str(broken), "--topic", topic.slug)
    assert not QuestionPage.objects.exists()


def test_import_stackexchange_missing_file(tmp_path, topic):
    with pytest.raises(CommandError, match="Cannot read .*nowhere.xml"):
        run("import_stackexchange", *SITE, str(tmp_path / "nowhere.xml"), "--topic", topic.slug)


def test_import_stackexchange_unknown_topic_lists_the_topics(posts_xml, topic, other_topic):
    with pytest.raises(CommandError, match="There is no topic “pensions”. Topics: charity-law, rural-transport."):
        run("import_stackexchange", *SITE, str(posts_xml), "--topic", "pensions")
    with pytest.raises(CommandError, match="There is no topic “nowhere”"):
        run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug, "--topic-map", "transport=nowhere")


def test_import_stackexchange_network_visibility_needs_a_known_network(posts_xml, topic, northshire):
    with pytest.raises(CommandError, match="--visibility network needs --network SLUG"):
        run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug, "--visibility", "network")
    with pytest.raises(CommandError, match="There is no network “nope”. Networks: northshire."):
        run("import_stackexchange", *SITE, str(posts_xml), "--topic", topic.slug, *NETWORK_ONLY, "nope")


# --- CSV -----------------------------------------------------------------------------------------------

CSV = """id,title,question,answer,topic,published
a1,Can we pay a trustee?,Our trustee is a trainer.,"Only if the **constitution** allows it.",,2023-05-04
a2,,No title here.,An answer.,,
a3,Do drivers need checks?,"We run a car
scheme for patients.",It depends who they drive.,rural-transport,2024-02-01 14:30
a4,Wrong topic,Question.,Answer.,pensions,
a5,Bad date,Question.,Answer.,,last tuesday
a1,Can we pay a trustee? (again),Same id.,Again.,,
"""


@pytest.fixture
def answers_csv(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_import_csv_imports_good_rows_and_reports_bad_ones(answers_csv, topic, other_topic, client, alice):
    output = run("import_csv", str(answers_csv), "--topic", topic.slug)

    assert output.splitlines() == [
        "Imported: 2",
        "Skipped, already imported: 1",
        "Skipped, no answer: 0",
        "Errors: 3",
        "  line 3: title is empty",
        "  line 6: no topic “pensions”",
        "  line 7: published “last tuesday” is not a date like 2024-03-01",
    ]
    pay = QuestionPage.objects.get(title="Can we pay a trustee?")
    drivers = QuestionPage.objects.get(title="Do drivers need checks?")
    assert (pay.get_parent().pk, drivers.get_parent().pk) == (topic.pk, other_topic.pk)
    assert timezone.localtime(pay.first_published_at).isoformat() == "2023-05-04T00:00:00+01:00"
    assert drivers.question_text == "We run a car\nscheme for patients."
    assert_tree_valid()

    client.force_login(alice)
    assert "Only if the <strong>constitution</strong> allows it." in client.get(pay.url).content.decode()


def test_import_csv_twice_imports_nothing(answers_csv, topic, other_topic):
    run("import_csv", str(answers_csv), "--topic", topic.slug)
    output = run("import_csv", str(answers_csv), "--topic", topic.slug)

    assert output.splitlines()[:2] == ["Imported: 0", "Skipped, already imported: 3"]
    assert QuestionPage.objects.count() == 2


def test_import_csv_missing_file(tmp_path, topic):
    with pytest.raises(CommandError, match="No such file: .*missing.csv"):
        run("import_csv", str(tmp_path / "missing.csv"), "--topic", topic.slug)


def test_import_csv_wrong_columns(tmp_path, topic):
    path = tmp_path / "answers.csv"
    path.write_text("id,title,body,answer,colour\n1,T,Q,A,blue\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"wrong columns \(missing question; unknown body, colour\)"):
        run("import_csv", str(path), "--topic", topic.slug)


def test_import_csv_not_utf8(tmp_path, topic):
    path = tmp_path / "answers.csv"
    path.write_bytes("id,title,question,answer\n1,Caf\xe9,Q,A\n".encode("latin-1"))

    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run("import_csv", str(path), "--topic", topic.slug)


def test_import_csv_unknown_topic_lists_the_topics(answers_csv, topic):
    with pytest.raises(CommandError, match="There is no topic “pensions”. Topics: charity-law."):
        run("import_csv", str(answers_csv), "--topic", "pensions")
