"""Who gets a question: eligibility, fairness, and the reason written to the audit trail."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts import routing
from experts.models import ExpertProfile
from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionEvent, SLASettings
from tests.factories import UserFactory, ask, make_expert

Status = Question.Status


def expert(topic, first_name, last_name, **fields):
    """An expert with a fixed name, so that notes can be compared exactly."""
    return make_expert(topics=[topic], user=UserFactory(first_name=first_name, last_name=last_name), **fields)


def give_questions(user, count, *, network, topic, status=Status.ASSIGNED):
    for number in range(count):
        Question.objects.create(
            title=f"Earlier question {number}",
            details="Details of an earlier question.",
            topic=topic,
            network=network,
            status=status,
            assignee=user,
            sla_hours=48,
        )


def routing_note(question):
    return question.events.get(action__in=[QuestionEvent.Action.ASSIGNED, QuestionEvent.Action.TRIAGED]).note


# --- Eligibility --------------------------------------------------------------------------------------------------


def test_route_question_only_considers_experts_on_the_topic(run_on_commit, alice, northshire, topic, other_topic, erin):
    expert(other_topic, "Olga", "Oldfield")  # idle, but on another topic
    give_questions(erin, 3, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    assert routing_note(question) == (
        f"Routed to {erin.display_name}: knows Charity law, 3 of 5 open questions, the only eligible expert."
    )


@pytest.mark.parametrize(
    ("away_from", "away_until"),
    [
        (0, 0),  # away for today only
        (-3, 3),  # in the middle of a holiday
        (-3, 0),  # back tomorrow
        (0, 5),  # leaves today
        (-10, None),  # away with no return date
    ],
)
def test_route_question_skips_an_expert_away_today(
    run_on_commit, alice, northshire, topic, erin, away_from, away_until
):
    today = timezone.localdate()
    sam = expert(
        topic,
        "Sam",
        "Shaw",
        away_from=today + dt.timedelta(days=away_from),
        away_until=None if away_until is None else today + dt.timedelta(days=away_until),
    )
    give_questions(erin, 2, network=northshire, topic=topic)  # Sam would win on fairness if he were here
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    assert list(ExpertProfile.objects.eligible_for(question)) == [erin.expert_profile]
    assert sam.user.assigned_questions.count() == 0


@pytest.mark.parametrize(
    ("away_from", "away_until"),
    [
        (1, 5),  # goes away tomorrow
        (-10, -1),  # came back today
        (None, 5),  # no start date: not away
    ],
)
def test_route_question_routes_to_an_expert_not_away_today(
    run_on_commit, alice, northshire, topic, erin, away_from, away_until
):
    today = timezone.localdate()
    sam = expert(
        topic,
        "Sam",
        "Shaw",
        away_from=None if away_from is None else today + dt.timedelta(days=away_from),
        away_until=today + dt.timedelta(days=away_until),
    )
    give_questions(erin, 2, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == sam.user


@pytest.mark.parametrize(
    "fields",
    [
        {"status": ExpertProfile.Status.PAUSED},
        {"status": ExpertProfile.Status.RETIRED},
        {"accepting_new": False},
    ],
    ids=["paused", "retired", "not-accepting"],
)
def test_route_question_skips_experts_not_taking_questions(run_on_commit, alice, northshire, topic, erin, fields):
    sam = expert(topic, "Sam", "Shaw", **fields)
    give_questions(erin, 2, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    assert sam.user.assigned_questions.count() == 0


def test_route_question_skips_an_expert_at_their_cap(run_on_commit, alice, northshire, topic, erin):
    sam = expert(topic, "Sam", "Shaw", max_open_questions=2)
    give_questions(sam.user, 1, network=northshire, topic=topic)
    give_questions(sam.user, 1, network=northshire, topic=topic, status=Status.AWAITING_CLARIFICATION)
    give_questions(erin, 4, network=northshire, topic=topic)  # busier, but under her cap of 5
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    assert routing_note(question) == (
        f"Routed to {erin.display_name}: knows Charity law, 4 of 5 open questions, the only eligible expert."
    )


def test_route_question_counts_only_questions_still_with_the_expert_towards_the_cap(
    run_on_commit, alice, northshire, topic, erin
):
    sam = expert(topic, "Sam", "Shaw", max_open_questions=1)
    for status in (Status.ANSWERED, Status.PUBLISHED, Status.WITHDRAWN):
        give_questions(sam.user, 1, network=northshire, topic=topic, status=status)
    give_questions(erin, 1, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == sam.user
    assert routing_note(question) == (
        "Routed to Sam Shaw: knows Charity law, 0 of 1 open questions, the fairest of 2 eligible experts."
    )


def test_route_question_never_routes_a_question_to_its_asker(run_on_commit, alice, northshire, topic, erin):
    make_expert(topics=[topic], user=alice)  # Alice is an idle expert on the topic as well as an adviser
    give_questions(erin, 4, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    assert alice.expert_profile not in ExpertProfile.objects.eligible_for(question)


def test_route_question_asker_who_is_the_only_expert_sends_it_to_triage(run_on_commit, alice, northshire, topic):
    make_expert(topics=[topic], user=alice)
    question = ask(run_on_commit, alice, northshire, topic)
    assert (question.status, question.needs_triage, question.assignee) == (Status.SUBMITTED, True, None)
    assert routing_note(question) == ("No eligible expert among the 1 expert on Charity law: 1 asked this question.")


def test_route_question_never_routes_back_to_an_expert_who_declined(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == erin
    with run_on_commit():
        services.question_decline(question_id=question.pk, expert=erin, reason="Conflict of interest")
    question.refresh_from_db()
    assert (question.status, question.needs_triage, question.assignee) == (Status.SUBMITTED, True, None)
    assert question.events.get(action="triaged").note == (
        "No eligible expert among the 1 expert on Charity law: 1 declined this question."
    )


# --- Fairness -----------------------------------------------------------------------------------------------------


def test_route_question_prefers_the_expert_with_fewer_open_questions(run_on_commit, alice, northshire, topic, erin):
    sam = expert(topic, "Sam", "Shaw")
    give_questions(erin, 2, network=northshire, topic=topic)
    give_questions(sam.user, 1, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == sam.user
    assert routing_note(question) == (
        "Routed to Sam Shaw: knows Charity law, 1 of 5 open questions, the fairest of 2 eligible experts."
    )


def test_route_question_on_a_tie_prefers_the_expert_assigned_longest_ago(run_on_commit, alice, northshire, topic, erin):
    sam = expert(topic, "Sam", "Shaw")
    now = timezone.now()
    ExpertProfile.objects.filter(pk=erin.expert_profile.pk).update(last_assigned_at=now - dt.timedelta(hours=1))
    ExpertProfile.objects.filter(pk=sam.pk).update(last_assigned_at=now - dt.timedelta(days=3))
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == sam.user


def test_route_question_on_a_tie_prefers_an_expert_never_assigned(run_on_commit, alice, northshire, topic, erin):
    long_ago = timezone.now() - dt.timedelta(days=90)
    ExpertProfile.objects.filter(pk=erin.expert_profile.pk).update(last_assigned_at=long_ago)
    sam = expert(topic, "Sam", "Shaw")  # never assigned anything
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.assignee == sam.user


def test_route_question_records_the_assignment_time_so_ties_take_turns(run_on_commit, alice, northshire, topic, erin):
    sam = expert(topic, "Sam", "Shaw")
    ExpertProfile.objects.filter(pk=sam.pk).update(last_assigned_at=timezone.now() - dt.timedelta(days=1))
    first = ask(run_on_commit, alice, northshire, topic, title="First question of the day")
    assert first.assignee == erin  # never assigned before
    erin.expert_profile.refresh_from_db()
    assert erin.expert_profile.last_assigned_at is not None
    services.answer_submit(
        question_id=first.pk,
        expert=erin,
        body="A full answer that is long enough to be submitted for review by a coordinator. " * 2,
    )
    second = ask(run_on_commit, alice, northshire, topic, title="Second question of the day")
    assert second.assignee == sam.user  # both have 0 open again; Sam has waited longer


# --- The decision and its reason ----------------------------------------------------------------------------------


def test_route_question_assignment_sets_the_due_time_and_writes_the_event(
    run_on_commit, alice, northshire, topic, erin
):
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.status == Status.ASSIGNED
    assert question.needs_triage is False
    assert question.due_at == SLASettings.load().calendar().add_working_hours(question.submitted_at, 48)
    event = question.events.get(action=QuestionEvent.Action.ASSIGNED)
    assert (event.actor, event.from_status, event.to_status) == (None, Status.SUBMITTED, Status.ASSIGNED)
    assert event.note == (
        f"Routed to {erin.display_name}: knows Charity law, 0 of 5 open questions, the only eligible expert."
    )


def test_route_question_nobody_on_the_topic_sends_it_to_triage_with_the_reason(
    run_on_commit, alice, northshire, other_topic, erin
):
    question = ask(run_on_commit, alice, northshire, other_topic)
    assert (question.status, question.needs_triage, question.assignee) == (Status.SUBMITTED, True, None)
    assert question.due_at == SLASettings.load().calendar().add_working_hours(question.submitted_at, 48)
    event = question.events.get(action=QuestionEvent.Action.TRIAGED)
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.SUBMITTED)
    assert event.note == "No expert covers Rural transport yet."


def test_route_question_nobody_eligible_sends_it_to_triage_with_the_reason(
    run_on_commit, alice, northshire, topic, erin
):
    ExpertProfile.objects.filter(pk=erin.expert_profile.pk).update(accepting_new=False)
    sam = expert(topic, "Sam", "Shaw", max_open_questions=1)
    give_questions(sam.user, 1, network=northshire, topic=topic)
    question = ask(run_on_commit, alice, northshire, topic)
    assert (question.status, question.needs_triage, question.assignee) == (Status.SUBMITTED, True, None)
    assert Question.objects.in_triage().get() == question
    assert routing_note(question) == (
        "No eligible expert among the 2 experts on Charity law: "
        "2 away, paused, not accepting questions or at their limit."
    )


def test_route_question_returns_the_chosen_profile_or_none(alice, northshire, topic, other_topic, erin):
    routed = services.question_submit(
        asker=alice,
        network=northshire,
        topic=topic,
        title="Routed directly",
        details="Details that are long enough.",
        visibility="public",
    )
    parked = services.question_submit(
        asker=alice,
        network=northshire,
        topic=other_topic,
        title="Nobody knows",
        details="Details that are long enough.",
        visibility="public",
    )
    assert routing.route_question(routed) == erin.expert_profile
    assert routing.route_question(parked) is None
    assert list(Question.objects.order_by("pk").values_list("status", "needs_triage")) == [
        (Status.ASSIGNED, False),
        (Status.SUBMITTED, True),
    ]


# --- Query counts -------------------------------------------------------------------------------------------------


def queries_to_route(alice, northshire, topic, *, experts):
    for number in range(experts):
        profile = expert(topic, "Extra", f"Expert{number}")
        give_questions(profile.user, number % 3, network=northshire, topic=topic)
    question = services.question_submit(
        asker=alice,
        network=northshire,
        topic=topic,
        title=f"With {experts} experts",
        details="Details that are long enough.",
        visibility="public",
    )
    with CaptureQueriesContext(connection) as listing:
        eligible = list(ExpertProfile.objects.eligible_for(question).select_related("user"))
        names = [(profile.user.display_name, profile.open_count) for profile in eligible]
    assert len(names) == experts
    with CaptureQueriesContext(connection) as routed:
        assert routing.route_question(question) is not None
    return len(listing), len(routed)


def test_eligible_for_runs_a_constant_number_of_queries(alice, northshire, topic):
    few = queries_to_route(alice, northshire, topic, experts=2)
    Question.objects.all().delete()
    ExpertProfile.objects.all().delete()
    many = queries_to_route(alice, northshire, topic, experts=20)
    assert few[0] == many[0] == 1
    assert few[1] == many[1]
