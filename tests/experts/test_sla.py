"""SLA policy: states, the clock pausing and resuming through the lifecycle, and the sweep."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experts import sla
from qa_site.knowledge import services
from qa_site.knowledge.clock import BusinessCalendar, deadlines
from qa_site.knowledge.models import Question, SLASettings
from tests.factories import ask, make_expert

LONDON = ZoneInfo("Europe/London")
CALENDAR = BusinessCalendar()


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def make_question(submitted_at, sla_hours=8, fraction=0.75, running=True):
    warn, due = deadlines(
        submitted_at=submitted_at, sla_hours=sla_hours, paused_seconds=0, warning_fraction=fraction, calendar=CALENDAR
    )
    return Question(submitted_at=submitted_at, sla_hours=sla_hours, warn_at=warn, due_at=due, sla_running=running)


# --- state() ------------------------------------------------------------------------------------------------------


def test_state_is_on_track_until_three_quarters_of_the_working_hours_are_used():
    question = make_question(london(2026, 3, 9, 9))  # 8 working hours: warn 15:00, due 17:00
    assert sla.state(question, now=london(2026, 3, 9, 14, 59, 59)) == sla.ON_TRACK
    assert sla.state(question, now=london(2026, 3, 9, 15)) == sla.AT_RISK
    assert sla.state(question, now=london(2026, 3, 9, 17)) == sla.BREACHED


def test_state_counts_only_working_hours_towards_the_warning():
    question = make_question(london(2026, 3, 6, 14))  # Friday 14:00, 8 hours: warn Monday 12:00, due 14:00
    assert sla.state(question, now=london(2026, 3, 8, 23)) == sla.ON_TRACK
    assert sla.state(question, now=london(2026, 3, 9, 12)) == sla.AT_RISK


def test_state_honours_the_warning_fraction():
    question = make_question(london(2026, 3, 9, 9), fraction=0.5)
    assert sla.state(question, now=london(2026, 3, 9, 12, 59)) == sla.ON_TRACK
    assert sla.state(question, now=london(2026, 3, 9, 13)) == sla.AT_RISK


def test_a_stopped_clock_is_paused_whatever_the_time():
    question = make_question(london(2026, 3, 9, 9), running=False)
    assert sla.state(question, now=london(2026, 3, 20, 9)) == sla.PAUSED
    assert sla.STATE_LABELS[sla.PAUSED] == "Waiting for the adviser"


# --- the clock through the lifecycle -------------------------------------------------------------------------------


@pytest.fixture
def assigned(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    assert question.status == Question.Status.ASSIGNED
    return question


def test_asking_sets_the_warning_and_due_moments_from_the_plan(assigned):
    calendar = SLASettings.load().calendar()
    assert assigned.due_at == calendar.add_working_hours(assigned.submitted_at, 48)
    assert assigned.warn_at == calendar.add_working_hours(assigned.submitted_at, 36)
    assert assigned.sla_running


def _shift(question, **moments):
    Question.objects.filter(pk=question.pk).update(**moments)
    question.refresh_from_db()


def test_clarification_pauses_the_clock_and_the_reply_pushes_the_deadlines_back_by_the_pause(
    assigned, alice, erin, monkeypatch
):
    # Asked Monday 09:00; the expert asks for detail Monday 10:00; the adviser replies Tuesday 11:00:
    # the clock stood still for 7 + 2 = 9 working hours.
    calendar = SLASettings.load().calendar()
    asked = london(2026, 3, 9, 9)
    warn, due = deadlines(submitted_at=asked, sla_hours=48, paused_seconds=0, warning_fraction=0.75, calendar=calendar)
    _shift(assigned, submitted_at=asked, warn_at=warn, due_at=due)
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 9, 10))
    question = services.question_request_clarification(question_id=assigned.pk, expert=erin, message="Income?")
    assert (question.sla_running, question.paused_at) == (False, london(2026, 3, 9, 10))
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 10, 11))
    question = services.question_clarify(question_id=assigned.pk, actor=alice, reply="About £40k.")
    assert question.sla_running
    assert question.paused_at is None
    assert question.paused_seconds == 9 * 3600
    assert question.due_at == calendar.add_working_hours(due, 9)
    assert question.warn_at == calendar.add_working_hours(warn, 9)


def test_answering_records_working_hours_less_pauses_and_whether_the_promise_was_met(assigned, erin, monkeypatch):
    asked = london(2026, 3, 9, 9)
    _shift(assigned, submitted_at=asked, paused_seconds=3600)
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 10, 13))  # 8 + 4 working hours later
    question = services.answer_submit(question_id=assigned.pk, expert=erin, body="A full answer. " * 10)
    assert question.working_hours_to_answer == 11  # 12 less the 1 hour paused
    assert question.sla_met is True
    assert question.sla_running is False, "review time does not count against the expert"


def test_a_late_answer_is_recorded_as_missed(assigned, erin, monkeypatch):
    _shift(assigned, submitted_at=london(2026, 3, 2, 9))
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 13, 9))  # 9 working days later: 72 hours
    question = services.answer_submit(question_id=assigned.pk, expert=erin, body="A full answer. " * 10)
    assert (question.working_hours_to_answer, question.sla_met) == (72, False)


def test_returning_an_answer_restarts_the_clock_without_counting_the_review(assigned, erin, colin, monkeypatch):
    asked = london(2026, 3, 9, 9)
    calendar = SLASettings.load().calendar()
    _shift(assigned, submitted_at=asked, due_at=calendar.add_working_hours(asked, 48))
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 9, 12))
    services.answer_submit(question_id=assigned.pk, expert=erin, body="A first answer. " * 10)
    monkeypatch.setattr(timezone, "now", lambda: london(2026, 3, 10, 12))  # a working day in review
    question = services.answer_return(question_id=assigned.pk, actor=colin, comment="Cite the Act.")
    assert question.sla_running
    assert question.sla_met is None
    assert question.paused_seconds == 8 * 3600
    assert question.due_at == calendar.add_working_hours(asked, 56)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pause_start=st.integers(min_value=0, max_value=200),
    pause_length=st.integers(min_value=0, max_value=300),
)
def test_a_pause_moves_the_due_time_by_exactly_its_working_length(pause_start, pause_length):
    # For any pause (in hours after asking, of any wall-clock length), the due moment moves by exactly
    # the working time inside the pause.
    asked = london(2026, 3, 20, 15, 30)  # a Friday afternoon, spanning weekends, Easter and the clock change
    start = asked + dt.timedelta(hours=pause_start)
    end = start + dt.timedelta(hours=pause_length)
    paused = int(CALENDAR.working_time_between(start, end).total_seconds())
    _, due = deadlines(submitted_at=asked, sla_hours=24, paused_seconds=0, warning_fraction=0.75, calendar=CALENDAR)
    _, moved = deadlines(
        submitted_at=asked, sla_hours=24, paused_seconds=paused, warning_fraction=0.75, calendar=CALENDAR
    )
    assert CALENDAR.working_time_between(due, moved).total_seconds() == paused
    assert moved >= due


# --- the sweep -----------------------------------------------------------------------------------------------------


def test_sweep_reminds_the_expert_once_when_a_question_is_at_risk(assigned, erin, run_on_commit):
    now = assigned.warn_at + dt.timedelta(minutes=1)
    mail.outbox.clear()
    with run_on_commit():
        assert sla.sweep(now=now) == {"reminded": 1, "breached": 0, "rerouted": 0}
    assert [m.to for m in mail.outbox] == [[erin.email]]
    assert mail.outbox[0].subject.startswith("Reminder: due")
    with run_on_commit():
        assert sla.sweep(now=now + dt.timedelta(minutes=5)) == {"reminded": 0, "breached": 0, "rerouted": 0}
    assert len(mail.outbox) == 1
    assert assigned.events.filter(action="reminded").count() == 1


def test_sweep_does_not_remind_before_the_warning_moment(assigned):
    assert sla.sweep(now=assigned.warn_at - dt.timedelta(seconds=1))["reminded"] == 0


def test_sweep_alerts_coordinators_of_a_breach_once(assigned, colin, run_on_commit):
    now = assigned.due_at + dt.timedelta(minutes=1)
    mail.outbox.clear()
    with run_on_commit():
        done = sla.sweep(now=now)
    assert done["breached"] == 1
    alerts = [m for m in mail.outbox if m.subject.startswith("SLA breached")]
    assert [m.to for m in alerts] == [[colin.email]]
    assert not [m for m in mail.outbox if m.subject.startswith("Reminder")], "past due: no 'running short' e-mail"
    assert sla.sweep(now=now)["breached"] == 0
    assert assigned.events.filter(action="breached").count() == 1


def test_sweep_leaves_paused_questions_alone(assigned, erin):
    services.question_request_clarification(question_id=assigned.pk, expert=erin, message="Which year?")
    assert sla.sweep(now=assigned.due_at + dt.timedelta(days=3)) == {"reminded": 0, "breached": 0, "rerouted": 0}


def test_breached_question_is_rerouted_when_coordinators_chose_that(assigned, topic, erin, run_on_commit):
    other = make_expert(topics=[topic]).user
    policy = SLASettings.load()
    policy.reroute_on_breach = True
    policy.save()
    with run_on_commit():
        done = sla.sweep(now=assigned.due_at + dt.timedelta(minutes=1))
    assert done == {"reminded": 0, "breached": 1, "rerouted": 1}
    assigned.refresh_from_db()
    assert assigned.assignee == other
    assert assigned.events.filter(action="released", expert=erin).exists()
