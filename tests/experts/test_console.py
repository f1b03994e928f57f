"""The coordinator console in the Wagtail admin: the SLA board and reassigning, the panel, applications, access."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from experts import services as panel_services
from experts import stats
from experts.models import ExpertApplication, ExpertProfile, FeeRate
from qa_site.knowledge import services
from qa_site.knowledge.models import AnswerRating, Question, QuestionEvent
from tests.factories import UserFactory, ask, make_expert

Status = Question.Status
LONDON = ZoneInfo("Europe/London")
BOARD = "/admin/routing/sla/"
PANEL = "/admin/experts/panel/"
APPLICATIONS = "/admin/experts/applications/"


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def expert(topic, first_name, last_name, **fields):
    return make_expert(topics=[topic], user=UserFactory(first_name=first_name, last_name=last_name), **fields)


def question(title, *, topic, network, assignee=None, asker=None, status=Status.ASSIGNED, **fields):
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        asker=asker,
        status=status,
        assignee=assignee,
        sla_hours=48,
        **fields,
    )


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def cells(row):
    return [cell.get_text(" ", strip=True) for cell in row.find_all("td")]


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


# --- The SLA board ------------------------------------------------------------------------------------------------

NOW = london(2026, 3, 11, 12, 0)  # a Wednesday, noon


@pytest.fixture
def board(monkeypatch, alice, northshire, westvale, topic, other_topic, erin):
    """Open questions in every state at NOW (clock pinned), and some that must not show."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    sam = expert(topic, "Sam", "Shaw")
    made = {
        # Due yesterday 15:00: two working hours that day and three this morning.
        "breached": question(
            "Breached with Erin",
            topic=topic,
            network=northshire,
            assignee=erin,
            asker=alice,
            warn_at=london(2026, 3, 9, 9),
            due_at=london(2026, 3, 10, 15),
        ),
        # In triage, due this morning: breached, but there is nobody to take it from.
        "triage": question(
            "Breached in triage",
            topic=other_topic,
            network=westvale,
            status=Status.SUBMITTED,
            needs_triage=True,
            warn_at=london(2026, 3, 10, 9),
            due_at=london(2026, 3, 11, 10),
        ),
        "at_risk": question(
            "At risk with Sam",
            topic=topic,
            network=westvale,
            assignee=sam.user,
            warn_at=london(2026, 3, 11, 11),
            due_at=london(2026, 3, 11, 14, 30),
        ),
        "on_track": question(
            "On track with Erin",
            topic=topic,
            network=northshire,
            assignee=erin,
            warn_at=london(2026, 3, 12, 11),
            due_at=london(2026, 3, 13, 11),
        ),
        # Paused at 10:00 today with a day of working time left (10:00–17:00 and 09:00–10:00).
        "paused": question(
            "Waiting for Alice",
            topic=topic,
            network=northshire,
            assignee=erin,
            asker=alice,
            status=Status.AWAITING_CLARIFICATION,
            sla_running=False,
            paused_at=london(2026, 3, 11, 10),
            warn_at=london(2026, 3, 11, 11),
            due_at=london(2026, 3, 12, 10),
        ),
    }
    # Not open: never on the board, even past their due time.
    question(
        "Answered long ago",
        topic=topic,
        network=northshire,
        assignee=erin,
        status=Status.ANSWERED,
        sla_running=False,
        due_at=london(2026, 3, 1, 9),
    )
    question("Withdrawn", topic=topic, network=northshire, status=Status.WITHDRAWN, due_at=london(2026, 3, 1, 9))
    made["sam"] = sam
    return made


def section_rows(response, section):
    return [cells(row)[:6] for row in soup(response).select(f"section#{section} tbody tr")]


def test_sla_board_counts_and_lists_each_state_with_working_time(coordinator, board, erin):
    response = coordinator.get(BOARD)
    assert response.status_code == 200
    page = soup(response)
    counts = {tag["data-state"]: tag.get_text(strip=True) for tag in page.select("[data-state]")}
    assert counts == {"on_track": "1", "at_risk": "1", "breached": "2", "paused": "1"}
    assert section_rows(response, "breached") == [
        [
            "Breached with Erin With an expert",
            "Charity law",
            "Northshire RCC",
            erin.display_name,
            "Tue 10 Mar 2026 15:00",
            "5 h 00 min overdue",
        ],
        [
            "Breached in triage Submitted",
            "Rural transport",
            "Westvale CVS",
            "in triage",
            "Wed 11 Mar 2026 10:00",
            "2 h 00 min overdue",
        ],
    ]
    assert section_rows(response, "at_risk") == [
        [
            "At risk with Sam With an expert",
            "Charity law",
            "Westvale CVS",
            "Sam Shaw",
            "Wed 11 Mar 2026 14:30",
            "2 h 30 min left",
        ]
    ]
    assert section_rows(response, "paused") == [
        [
            "Waiting for Alice Waiting for the adviser",
            "Charity law",
            "Northshire RCC",
            erin.display_name,
            "Thu 12 Mar 2026 10:00",
            "8 h 00 min left when paused",
        ]
    ]
    body = response.content.decode()
    for absent in ("On track with Erin", "Answered long ago", "Withdrawn"):
        assert absent not in body
    # Each title links to the admin question page; only questions with an expert can be reassigned.
    breached = page.select("section#breached tbody tr")
    assert breached[0].find("a")["href"] == reverse("knowledge_admin:question", args=[board["breached"].pk])
    assert breached[0].select_one("form")["action"] == reverse("experts_admin:reassign", args=[board["breached"].pk])
    assert breached[1].select_one("form") is None
    assert "Assign from the triage queue" in cells(breached[1])[6]


def test_sla_board_reassign_choices_exclude_the_expert_and_the_asker_topic_experts_first(
    coordinator, board, erin, alice, other_topic, topic
):
    expert(other_topic, "Olga", "Oldfield")
    away = expert(topic, "Amy", "Away", away_from=NOW.date() - dt.timedelta(days=1))
    expert(topic, "Pat", "Paused", status=ExpertProfile.Status.PAUSED)  # not active: never offered
    make_expert(topics=[topic], user=alice)  # the asker is an expert too: never offered her own question
    response = coordinator.get(BOARD)
    row = soup(response).select_one(f"tr#question-{board['breached'].pk}")
    options = [(o["value"], o.get_text()) for o in row.select("select[name=expert] option")]
    assert options == [
        ("", "Choose an expert…"),
        (str(away.pk), "Amy Away (0/5 open, away)"),
        (str(board["sam"].pk), "Sam Shaw (1/5 open)"),
        (str(ExpertProfile.objects.get(user__first_name="Olga").pk), "Olga Oldfield (0/5 open, not on this topic)"),
    ]


def test_reassigning_moves_the_question_records_why_and_tells_the_new_expert(
    coordinator, board, erin, colin, run_on_commit
):
    target = board["breached"]
    with run_on_commit():
        response = coordinator.post(
            reverse("experts_admin:reassign", args=[target.pk]),
            {"expert": board["sam"].pk, "note": "Erin is unwell", "next": BOARD},
        )
    assert response.status_code == 302
    assert response["Location"] == BOARD
    target.refresh_from_db()
    assert (target.status, target.assignee, target.due_at) == (
        Status.ASSIGNED,
        board["sam"].user,
        london(2026, 3, 10, 15),  # the clock is untouched
    )
    event = target.events.get(action=QuestionEvent.Action.REASSIGNED)
    assert (event.actor, event.expert) == (colin, board["sam"].user)
    assert event.note == f"Reassigned from {erin.display_name} to Sam Shaw by {colin.display_name}: Erin is unwell"
    assert [message.to for message in mail.outbox] == [[board["sam"].user.email]]
    followed = coordinator.get(response["Location"])
    assert page_messages(followed) == [f"“Breached with Erin” reassigned from {erin.display_name} to Sam Shaw."]
    assert section_rows(followed, "breached")[0][3] == "Sam Shaw"


def snapshot(question):
    question.refresh_from_db()
    return question.status, question.assignee_id, list(question.events.values_list("action", flat=True))


@pytest.mark.parametrize("bad", ["", "abc", "-1", "999999", "paused", "retired"])
def test_reassigning_to_anything_but_an_active_expert_changes_nothing(coordinator, board, topic, bad):
    if bad in ("paused", "retired"):
        bad = expert(topic, "Not", "Active", status=bad).pk
    target = board["breached"]
    before = snapshot(target)
    response = coordinator.post(reverse("experts_admin:reassign", args=[target.pk]), {"expert": bad}, follow=True)
    assert page_messages(response) == ["Choose an active expert to reassign the question to; nothing was changed."]
    assert snapshot(target) == before


def test_reassigning_a_question_that_moved_on_shows_why_and_changes_nothing(coordinator, board, erin):
    target = board["breached"]
    services.answer_submit(question_id=target.pk, expert=erin, body="The answer, submitted a moment ago.")
    before = snapshot(target)
    response = coordinator.post(
        reverse("experts_admin:reassign", args=[target.pk]), {"expert": board["sam"].pk}, follow=True
    )
    assert page_messages(response) == [
        "“Breached with Erin” was not reassigned: "
        "This question is now “answered, in review”, so that is no longer possible."
    ]
    assert snapshot(target) == before


def test_reassigning_to_the_same_expert_or_to_the_asker_is_refused(coordinator, board, erin, alice, topic):
    target = board["breached"]
    before = snapshot(target)
    url = reverse("experts_admin:reassign", args=[target.pk])
    same = coordinator.post(url, {"expert": erin.expert_profile.pk}, follow=True)
    assert page_messages(same) == ["“Breached with Erin” was not reassigned: The question is already with that expert."]
    asker = make_expert(topics=[topic], user=alice)
    own = coordinator.post(url, {"expert": asker.pk}, follow=True)
    assert page_messages(own) == [
        "“Breached with Erin” was not reassigned: An expert cannot answer their own question."
    ]
    assert snapshot(target) == before


def test_reassigning_a_question_in_triage_is_refused(coordinator, board):
    target = board["triage"]
    before = snapshot(target)
    response = coordinator.post(
        reverse("experts_admin:reassign", args=[target.pk]), {"expert": board["sam"].pk}, follow=True
    )
    assert page_messages(response) == [
        "“Breached in triage” was not reassigned: This question is now “submitted”, so that is no longer possible."
    ]
    assert snapshot(target) == before


def test_reassign_never_redirects_off_site_and_unknown_questions_are_404(coordinator, board):
    url = reverse("experts_admin:reassign", args=[board["breached"].pk])
    response = coordinator.post(url, {"expert": "", "next": "https://evil.example/phish"})
    assert response["Location"] == BOARD
    assert coordinator.post(reverse("experts_admin:reassign", args=[999999]), {"expert": ""}).status_code == 404
    assert coordinator.get(url).status_code == 405


def test_question_detail_offers_reassigning_while_with_an_expert(coordinator, board, erin, run_on_commit):
    target = board["paused"]
    detail = reverse("knowledge_admin:question", args=[target.pk])
    page = soup(coordinator.get(detail))
    form = page.select_one("form.reassign-form")
    assert form["action"] == reverse("experts_admin:reassign", args=[target.pk])
    assert form.select_one("input[name=next]")["value"] == detail
    assert [o.get_text() for o in form.select("option")] == ["Choose an expert…", "Sam Shaw (1/5 open)"]
    with run_on_commit():
        response = coordinator.post(form["action"], {"expert": board["sam"].pk, "next": detail})
    assert response["Location"] == detail
    target.refresh_from_db()
    assert (target.status, target.assignee) == (Status.AWAITING_CLARIFICATION, board["sam"].user)
    # Not with an expert: no form.
    for other in (board["triage"], Question.objects.get(title="Answered long ago")):
        body = coordinator.get(reverse("knowledge_admin:question", args=[other.pk])).content.decode()
        assert "Reassign to another expert" not in body


def test_sla_board_queries_do_not_grow_with_the_rows(coordinator, board, northshire, topic, erin, other_topic):
    def add(count):
        for n in range(count):
            sam = expert(topic if n % 2 else other_topic, f"Extra{n}", "Expert")
            for due in (london(2026, 3, 9, 10), london(2026, 3, 11, 16)):
                question(
                    f"More {n} {due:%d}",
                    topic=topic,
                    network=northshire,
                    assignee=sam.user,
                    warn_at=london(2026, 3, 9, 9),
                    due_at=due,
                )

    coordinator.get(BOARD)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(BOARD)
    add(6)
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(BOARD)
    assert len(section_rows(response, "breached")) == 8
    assert len(many) == len(few)


# --- The panel ----------------------------------------------------------------------------------------------------


@pytest.fixture
def record(erin, northshire, topic, alice, bob):
    """Erin's record: 2 open, 3 timed answers (2 met), 2 published, ratings 5 and 4."""
    question("Open one", topic=topic, network=northshire, assignee=erin)
    question("Open two", topic=topic, network=northshire, assignee=erin, status=Status.AWAITING_CLARIFICATION)
    answered_at = timezone.now() - dt.timedelta(days=3)
    first = question(
        "Published one",
        topic=topic,
        network=northshire,
        assignee=erin,
        status=Status.PUBLISHED,
        sla_met=True,
        working_hours_to_answer=Decimal("10.00"),
        answered_at=answered_at,
        published_at=answered_at,
    )
    question(
        "Published two",
        topic=topic,
        network=northshire,
        assignee=erin,
        status=Status.PUBLISHED,
        sla_met=False,
        working_hours_to_answer=Decimal("55.50"),
        answered_at=answered_at,
        published_at=answered_at,
    )
    question(
        "In review",
        topic=topic,
        network=northshire,
        assignee=erin,
        status=Status.ANSWERED,
        sla_met=True,
        working_hours_to_answer=Decimal("20.00"),
        answered_at=answered_at,
    )
    AnswerRating.objects.create(question=first, user=alice, stars=5)
    AnswerRating.objects.create(question=first, user=bob, stars=4)
    return erin.expert_profile


def panel_rows(response):
    return {row["id"]: cells(row)[:7] for row in soup(response).select("table.listing tbody tr")}


def test_panel_lists_experts_with_their_numbers_active_then_paused_then_retired(coordinator, record, erin, topic):
    today = timezone.localdate()
    paused = expert(
        topic,
        "Paula",
        "Paused",
        status=ExpertProfile.Status.PAUSED,
        accepting_new=False,
        away_from=today,
        away_until=dt.date(2099, 1, 31),
    )
    retired = expert(topic, "Rita", "Retired", status=ExpertProfile.Status.RETIRED)
    response = coordinator.get(PANEL)
    rows = panel_rows(response)
    assert list(rows) == [f"expert-{record.pk}", f"expert-{paused.pk}", f"expert-{retired.pk}"]
    assert rows[f"expert-{record.pk}"] == [
        f"{erin.display_name} Expert adviser · Charity law",
        "Active Accepting",
        "2 / 5",
        "66.7% of 3",
        "20.0",
        "4.5 (2)",
        "2",
    ]
    assert rows[f"expert-{paused.pk}"] == [
        "Paula Paused Expert adviser · Charity law",
        "Paused Not accepting Away until 31 Jan 2099",
        "0 / 5",
        "—",
        "—",
        "—",
        "0",
    ]
    assert rows[f"expert-{retired.pk}"][1] == "Retired Accepting"
    # The same numbers as the expert's own scorecard.
    card = stats.scorecard(expert_user=erin)
    assert (card["met_percent"], card["median_hours"], card["rating_average"], card["published"]) == (
        66.7,
        20.0,
        4.5,
        2,
    )
    # Buttons: every status but the current one; retiring goes through a confirmation page.
    row = soup(response).select_one(f"tr#expert-{record.pk}")
    assert [b.get_text(strip=True) for b in row.select("button, a.button")] == ["Pause", "Retire…"]
    assert row.select_one("a.button")["href"] == reverse("experts_admin:expert_retire", args=[record.pk])
    assert row.find("a")["href"] == f"/admin/snippets/experts/expertprofile/edit/{record.pk}/"


def test_panel_queries_do_not_grow_with_the_experts(coordinator, record, topic, northshire, alice):
    coordinator.get(PANEL)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(PANEL)
    for n in range(5):
        other = expert(topic, f"More{n}", "Expert")
        done = question(
            f"Answered {n}",
            topic=topic,
            network=northshire,
            assignee=other.user,
            status=Status.PUBLISHED,
            sla_met=True,
            working_hours_to_answer=Decimal("5"),
            answered_at=timezone.now(),
        )
        AnswerRating.objects.create(question=done, user=alice, stars=3)
        question(f"Open {n}", topic=topic, network=northshire, assignee=other.user)
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(PANEL)
    assert len(panel_rows(response)) == 6
    assert len(many) == len(few)


def status_url(profile):
    return reverse("experts_admin:expert_status", args=[profile.pk])


def test_pausing_and_activating_an_expert(coordinator, erin):
    profile = erin.expert_profile
    name = erin.display_name
    response = coordinator.post(status_url(profile), {"status": "paused"}, follow=True)
    assert page_messages(response) == [f"{name} is paused: they keep their open questions but get no new ones."]
    profile.refresh_from_db()
    assert profile.status == ExpertProfile.Status.PAUSED
    again = coordinator.post(status_url(profile), {"status": "paused"}, follow=True)
    assert page_messages(again) == [f"{name} is already paused; nothing was changed."]
    back = coordinator.post(status_url(profile), {"status": "active"}, follow=True)
    assert page_messages(back) == [f"{name} is active: routing can give them new questions."]
    profile.refresh_from_db()
    assert profile.status == ExpertProfile.Status.ACTIVE


@pytest.mark.parametrize("bad", ["", "sacked", "ACTIVE"])
def test_an_unknown_status_changes_nothing(coordinator, erin, bad):
    response = coordinator.post(status_url(erin.expert_profile), {"status": bad}, follow=True)
    assert page_messages(response) == [f"{erin.display_name}: Unknown status. Nothing was changed."]
    erin.expert_profile.refresh_from_db()
    assert erin.expert_profile.status == ExpertProfile.Status.ACTIVE


def test_retiring_hands_open_questions_back_to_routing(coordinator, run_on_commit, alice, northshire, topic, erin):
    first = ask(run_on_commit, alice, northshire, topic, title="First question for the panel test")
    second = ask(run_on_commit, alice, northshire, topic, title="Second question for the panel test")
    assert first.assignee == second.assignee == erin
    sam = expert(topic, "Sam", "Shaw")
    profile = erin.expert_profile
    confirm = coordinator.get(reverse("experts_admin:expert_retire", args=[profile.pk]))
    text = soup(confirm).get_text(" ", strip=True)
    assert "Their 2 open questions will be taken from them and routed to other experts" in text
    assert [a.get_text() for a in soup(confirm).select("main ul li a")] == [
        "First question for the panel test",
        "Second question for the panel test",
    ]
    with run_on_commit():
        response = coordinator.post(status_url(profile), {"status": "retired"})
    assert page_messages(coordinator.get(response["Location"])) == [
        f"{erin.display_name} has retired from the panel: 2 open questions handed back to routing."
    ]
    profile.refresh_from_db()
    assert profile.status == ExpertProfile.Status.RETIRED
    for handed_back in (first, second):
        handed_back.refresh_from_db()
        assert (handed_back.status, handed_back.assignee) == (Status.ASSIGNED, sam.user)
        released = handed_back.events.get(action=QuestionEvent.Action.RELEASED)
        assert released.note == f"{erin.display_name} left the panel: routed to another expert."
        assert released.expert == erin
    # Retiring someone with nothing open says so.
    olga = expert(topic, "Olga", "Oldfield")
    none = coordinator.post(status_url(olga), {"status": "retired"}, follow=True)
    assert page_messages(none) == ["Olga Oldfield has retired from the panel: 0 open questions handed back to routing."]


# --- The profile snippet: fee rates inline, status read-only ------------------------------------------------------


def test_profile_edit_form_has_fee_rates_and_a_read_only_status(coordinator, erin, topic):
    profile = erin.expert_profile
    url = f"/admin/snippets/experts/expertprofile/edit/{profile.pk}/"
    page = soup(coordinator.get(url))
    assert page.select_one("select[name=status], input[name=status]") is None
    assert page.select_one("input[name=fee_rates-TOTAL_FORMS]") is not None
    data = {
        "user": erin.pk,
        "slug": profile.slug,
        "headline": "Charity solicitor",
        "organisation": "",
        "bio": "",
        "topics": [topic.pk],
        "status": "retired",  # ignored: status changes go through the panel's buttons
        "accepting_new": "on",
        "max_open_questions": "4",
        "away_from": "",
        "away_until": "",
        "fee_rates-TOTAL_FORMS": "2",
        "fee_rates-INITIAL_FORMS": "0",
        "fee_rates-MIN_NUM_FORMS": "0",
        "fee_rates-MAX_NUM_FORMS": "1000",
        "fee_rates-0-id": "",
        "fee_rates-0-topic": "",
        "fee_rates-0-amount": "60.00",
        "fee_rates-0-effective_from": "2026-01-01",
        "fee_rates-1-id": "",
        "fee_rates-1-topic": topic.pk,
        "fee_rates-1-amount": "85.50",
        "fee_rates-1-effective_from": "2026-04-01",
    }
    response = coordinator.post(url, data)
    assert response.status_code == 302, soup(response).select(".error-message, .help-critical")
    profile.refresh_from_db()
    assert (profile.headline, profile.max_open_questions, profile.status) == ("Charity solicitor", 4, "active")
    rates = FeeRate.objects.filter(expert=profile).values_list("topic_id", "amount", "effective_from")
    assert sorted(rates, key=lambda rate: rate[2]) == [
        (None, Decimal("60.00"), dt.date(2026, 1, 1)),
        (topic.pk, Decimal("85.50"), dt.date(2026, 4, 1)),
    ]


# --- Applications -------------------------------------------------------------------------------------------------


def apply(user, topics, *, headline, days_ago, status=ExpertApplication.Status.PENDING, **fields):
    application = ExpertApplication.objects.create(
        user=user,
        headline=headline,
        organisation=fields.pop("organisation", "Smith & Co"),
        bio=fields.pop("bio", "I have advised village halls for years."),
        experience=fields.pop("experience", "Solicitor since 2005; trustee of two charities."),
        status=status,
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
        **fields,
    )
    application.topics.set(topics)
    return application


@pytest.fixture
def applications(topic, other_topic, colin):
    older = apply(
        UserFactory(first_name="Olive", last_name="Older", email="olive@example.test"),
        [topic, other_topic],
        headline="Charity solicitor",
        days_ago=5,
        organisation="Older Law",
        bio="About Olive: thirty years in the sector.",
        experience="Experience: wrote the guidance on halls.",
    )
    newer = apply(UserFactory(first_name="Nick", last_name="Newer"), [topic], headline="Trustee trainer", days_ago=1)
    decided = apply(
        UserFactory(first_name="Dora", last_name="Decided"),
        [other_topic],
        headline="Transport planner",
        days_ago=30,
        status=ExpertApplication.Status.REJECTED,
        decided_by=colin,
        decided_at=timezone.now() - dt.timedelta(days=20),
        decision_note="We have enough transport experts.",
    )
    return {"older": older, "newer": newer, "decided": decided}


def decide_url(application):
    return reverse("experts_admin:application_decide", args=[application.pk])


def test_applications_list_pending_oldest_first_then_decided(coordinator, applications, colin):
    response = coordinator.get(APPLICATIONS)
    page = soup(response)
    assert [section["id"] for section in page.select("section[id^=application-]")] == [
        f"application-{applications['older'].pk}",
        f"application-{applications['newer'].pk}",
        f"application-{applications['decided'].pk}",
    ]
    older = page.select_one(f"#application-{applications['older'].pk}").get_text(" ", strip=True)
    for text in (
        "Olive Older <olive@example.test>",
        "Charity solicitor · Older Law",
        "Topics: Charity law, Rural transport",
        "About Olive: thirty years in the sector.",
        "Experience: wrote the guidance on halls.",
        "Approve: put Olive Older on the panel",
        "Decline",
    ):
        assert text in older
    decided = page.select_one(f"#application-{applications['decided'].pk}")
    assert decided.select_one("form") is None
    decision = decided.get_text(" ", strip=True)
    assert f"Not accepted by {colin.display_name} on" in decision
    assert "“We have enough transport experts.”" in decision


def test_approving_puts_the_applicant_on_the_panel_once(
    coordinator, applications, colin, topic, other_topic, run_on_commit
):
    application = applications["older"]
    with run_on_commit():
        response = coordinator.post(decide_url(application), {"action": "approve", "note": "Welcome aboard"})
    assert page_messages(coordinator.get(response["Location"])) == [
        "Olive Older is on the panel, answering on Charity law, Rural transport; they have been told."
    ]
    application.refresh_from_db()
    assert (application.status, application.decided_by, application.decision_note) == (
        "approved",
        colin,
        "Welcome aboard",
    )
    profile = ExpertProfile.objects.get(user=application.user)
    assert (profile.status, profile.headline, profile.organisation) == ("active", "Charity solicitor", "Older Law")
    assert set(profile.topics.all()) == {topic, other_topic}
    assert [message.to for message in mail.outbox] == [["olive@example.test"]]
    # Deciding again (a second click, another coordinator) changes nothing.
    for action, note in (("approve", ""), ("reject", "Changed my mind")):
        again = coordinator.post(decide_url(application), {"action": action, "note": note}, follow=True)
        assert page_messages(again) == ["Olive Older: That application has already been decided."]
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("approved", "Welcome aboard")
    assert ExpertProfile.objects.filter(user=application.user).count() == 1


def test_declining_needs_a_note_and_happens_once(coordinator, applications, colin):
    application = applications["newer"]
    empty = coordinator.post(decide_url(application), {"action": "reject", "note": "   "}, follow=True)
    assert page_messages(empty) == [
        "Say why you are declining Nick Newer's application: they are told. Nothing was changed."
    ]
    application.refresh_from_db()
    assert application.status == ExpertApplication.Status.PENDING
    done = coordinator.post(
        decide_url(application), {"action": "reject", "note": "Not enough experience yet."}, follow=True
    )
    assert page_messages(done) == ["Nick Newer's application was declined; they have been told why."]
    application.refresh_from_db()
    assert (application.status, application.decided_by, application.decision_note) == (
        "rejected",
        colin,
        "Not enough experience yet.",
    )
    assert not ExpertProfile.objects.filter(user=application.user).exists()
    again = coordinator.post(decide_url(application), {"action": "approve"}, follow=True)
    assert page_messages(again) == ["Nick Newer: That application has already been decided."]
    assert not ExpertProfile.objects.filter(user=application.user).exists()


def test_unknown_decision_and_unknown_application(coordinator, applications):
    response = coordinator.post(decide_url(applications["older"]), {"action": "explode"}, follow=True)
    assert page_messages(response) == ["Unknown action; nothing was changed."]
    applications["older"].refresh_from_db()
    assert applications["older"].status == ExpertApplication.Status.PENDING
    assert (
        coordinator.post(reverse("experts_admin:application_decide", args=[999999]), {"action": "approve"}).status_code
        == 404
    )


def test_approving_someone_already_on_the_panel_is_refused(coordinator, topic, erin):
    application = apply(erin, [topic], headline="Again", days_ago=1)
    response = coordinator.post(decide_url(application), {"action": "approve"}, follow=True)
    assert page_messages(response) == [f"{erin.display_name}: That person is already on the panel."]
    application.refresh_from_db()
    assert application.status == ExpertApplication.Status.PENDING


def test_applications_queries_do_not_grow(coordinator, applications, topic, other_topic, colin):
    coordinator.get(APPLICATIONS)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(APPLICATIONS)
    for n in range(4):
        apply(UserFactory(), [topic, other_topic], headline=f"Pending {n}", days_ago=n)
        apply(
            UserFactory(),
            [topic],
            headline=f"Decided {n}",
            days_ago=10 + n,
            status=ExpertApplication.Status.APPROVED,
            decided_by=colin,
            decided_at=timezone.now(),
        )
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(APPLICATIONS)
    assert len(soup(response).select("section[id^=application-]")) == 11
    assert len(many) == len(few)


# --- Who may use the console --------------------------------------------------------------------------------------

CONSOLE_PAGES = [
    ("SLA board", lambda: BOARD),
    ("Expert panel", lambda: PANEL),
    ("Applications", lambda: APPLICATIONS),
    ("SLA compliance", lambda: reverse("experts_admin:compliance")),
    ("Expert fees", lambda: reverse("experts_admin:fees")),
]


@pytest.mark.parametrize(("title", "url"), CONSOLE_PAGES, ids=[page[0] for page in CONSOLE_PAGES])
@pytest.mark.parametrize("role", ["anonymous", "alice", "erin", "editor", "colin"])
def test_console_pages_are_for_coordinators_only(client, alice, erin, colin, title, url, role):
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    users = {"alice": alice, "erin": erin, "editor": editor, "colin": colin}
    if role != "anonymous":
        client.force_login(users[role])
    path = url()
    response = client.get(path)
    if role == "colin":
        assert response.status_code == 200
        assert f"<title>{title}" in response.content.decode()
    elif role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
    elif role == "editor":
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_console_actions_do_nothing_for_anyone_but_coordinators(client, alice, erin, northshire, topic, applications):
    target = question("Erin's open question", topic=topic, network=northshire, assignee=erin)
    other = expert(topic, "Sam", "Shaw")
    for user in (None, alice, erin):
        if user:
            client.force_login(user)
        client.post(reverse("experts_admin:reassign", args=[target.pk]), {"expert": other.pk})
        client.post(status_url(erin.expert_profile), {"status": "retired"})
        client.post(decide_url(applications["older"]), {"action": "approve"})
    target.refresh_from_db()
    erin.expert_profile.refresh_from_db()
    applications["older"].refresh_from_db()
    assert target.assignee == erin
    assert erin.expert_profile.status == ExpertProfile.Status.ACTIVE
    assert applications["older"].status == ExpertApplication.Status.PENDING


def test_the_console_is_in_the_admin_menus(coordinator):
    body = coordinator.get("/admin/").content.decode()
    for label in ("SLA board", "Panel", "Applications", "Profiles and fee rates", "SLA compliance", "Expert fees"):
        assert f'"{label}"' in body


def test_panel_says_how_many_applications_wait_and_the_email_links_to_them(
    coordinator, applications, colin, run_on_commit, topic
):
    text = " ".join(BeautifulSoup(coordinator.get(PANEL).content, "html.parser").get_text().split())
    assert "Applications to join: 2 waiting." in text
    with run_on_commit():
        panel_services.application_submit(
            user=UserFactory(first_name="Nell", last_name="New"),
            headline="Village hall adviser",
            organisation="",
            bio="About me.",
            experience="Years of it.",
            topics=[topic],
        )
    (received,) = mail.outbox
    assert received.to == [colin.email]
    assert "/admin/experts/applications/" in received.body
