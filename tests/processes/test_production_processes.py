"""Fault injection on the real production process set: the Procfile's ``web``, ``worker`` and ``scheduler`` lines
against a scratch PostgreSQL database, a private Redis and an SMTP sink (``tests/processes/harness.py``).

One stack serves the module (its start-up — migrations, collectstatic, demo data — is most of the run time); each
test starts from a whole stack and looks only at what it caused, by question title and outbox watermark, and at
the one rule that holds for every e-mail: none is sent twice. ``pytest -s`` prints the timings of the key waits.

Skipped unless ``DATABASE_URL`` names a PostgreSQL server that answers and Debian's ``redis-server`` is installed
(CI's second pass has both).
"""

import contextlib
import os
import re
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from tests.processes.harness import (
    HarnessError,
    Process,
    Stack,
    Stopwatch,
    Visitor,
    children,
    free_port,
    parse_procfile,
    process_env,
    skip_reason,
    wait_for,
)

pytestmark = pytest.mark.processes

ADVISER = "adviser@demo.test"
EXPERT = "expert@demo.test"
EXPERT_NAME = "Helen Carter"  # the demo's only expert on charity law: every question here is routed to her
COORDINATOR = "coordinator@demo.test"
TOPIC = "Charity law and governance"
ROUTE = "experts.tasks.route_question"
ASSIGNMENT_MAIL = "qa_site.knowledge.tasks.send_assignment_email"
RELAY = "qa_site.outbox.relay.relay"
# rq kills a job after 10 s; a message whose worker died is taken again 15 s after it was claimed.
STACK_ENV = {"RQ_JOB_TIMEOUT": "10", "OUTBOX_LEASE_SECONDS": "15"}
DETAILS = "Our village hall charity has a committee of nine trustees and we want to get this right before our AGM."
ANSWER = (
    "Trustees of a village hall do not normally need a criminal records check simply because they are trustees. "
    "A check is needed only where a trustee's role includes regulated activity, for example running sessions for "
    "children. Record your decision and the reasons for it in the minutes of the next committee meeting."
)
# What production refuses to start without (qa_site/settings/production.py, REQUIRED).
REQUIRED = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "BASE_URL", "EMAIL_URL"]


# --- Fixtures


@pytest.fixture(scope="module")
def database_url():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="module")
def stack(database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("stack")
    print(f"\n[stack] logs and data in {directory}", flush=True)
    stack = Stack(directory, database_url=database_url, extra_env=STACK_ENV)
    try:
        stack.up()
        # The demo's own questions nearly fill Helen Carter's limit of open questions; lift it, so routing never
        # sends a question of these tests to triage instead.
        lifted = stack.database.execute(
            "UPDATE experts_expertprofile SET max_open_questions = 50"
            " WHERE user_id = (SELECT id FROM accounts_user WHERE email = %s)",
            [EXPERT],
        )
        assert lifted == 1, "the demo data has no profile for expert@demo.test"
        # The demo's own side effects (e-mails, routing, indexing) go through the worker first: let them finish, so
        # each test's jobs do not queue behind them.
        watch = Stopwatch("stack")
        stack.wait_outbox_settled(0, timeout=300)
        watch.lap("the demo data's side effects done")
        yield stack
    finally:
        stack.down()


@pytest.fixture
def whole(stack):
    """The stack with every process running (one an earlier test left dead is started again, and said so)."""
    stack.ensure_running()
    return stack


@pytest.fixture
def visitor(stack):
    """Makes visitors (each with their own cookies); closes them after the test."""
    made = []

    def make():
        made.append(Visitor(stack.base_url))
        return made[-1]

    yield make
    for person in made:
        person.close()


# --- Steps the tests share


def ask(person, title):
    """``person`` asks a public question on charity law through the form at /ask/. Returns the question's id."""
    form, _ = person.form("/ask/", having="title")
    response = person.submit(
        "/ask/", having="title", title=title, details=DETAILS, topic=form.option("topic", TOPIC), visibility="public"
    )
    sent = re.fullmatch(r"https?://[^/]+/questions/(\d+)/", response.url)
    assert sent, f"asking answered {response.status_code} at {response.url}"
    assert response.status_code == 200
    assert [step.status_code for step in response.history] == [302]
    assert "Thank you: your question has been sent." in response.text
    assert escape(title) in response.text
    return int(sent[1])


def question_state(stack, question_id):
    """(status, assignee's e-mail, accepted) of a question, from the database."""
    return stack.database.row(
        "SELECT q.status, u.email, q.accepted_at IS NOT NULL FROM knowledge_question q"
        " LEFT JOIN accounts_user u ON u.id = q.assignee_id WHERE q.id = %s",
        [question_id],
    )


def wait_until_routed(stack, person, question_id, *, timeout):
    """Watch the adviser's own page of the question until it names the expert answering it."""

    def routed():
        page = person.get(f"/questions/{question_id}/")
        return page.status_code == 200 and f"<strong>{EXPERT_NAME}</strong> is answering this question" in page.text

    wait_for(
        f"question #{question_id} routed to {EXPERT_NAME} (shown on the adviser's page)",
        routed,
        timeout=timeout,
        log=lambda: stack.logs("worker", "scheduler"),
    )
    assert question_state(stack, question_id)[:2] == ("assigned", EXPERT)


def wait_for_mail(stack, subject, *, to, timeout=60):
    return wait_for(
        f"the e-mail “{subject}” to {to}",
        lambda: stack.sink.matching(subject, to=to),
        timeout=timeout,
        log=lambda: f"received: {[str(mail) for mail in stack.sink.mails()[-10:]]}\n{stack.logs('worker')}",
    )


def assert_nothing_sent_twice(stack):
    twice = stack.sink.duplicates()
    assert not twice, f"sent more than once: {[str(mail) for mail in twice]}"


def gone(pid):
    """True once ``pid`` has exited (a zombie waiting for its new parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


# --- 1. The happy path, through the production processes


def test_production_processes_carry_a_question_from_ask_to_route_answer_publish_and_feed(whole, visitor):
    stack = whole
    title = "Do our village hall's trustees need criminal records checks?"  # an apostrophe: plain in e-mails
    body = stack.wait_until_ready(timeout=60, fresh_within=30)
    checks = body["checks"]
    assert body["status"] == "ready"
    assert sorted(checks) == ["database", "queue", "scheduler", "search"]
    assert all(check["ok"] for check in checks.values()), checks
    assert (checks["database"]["engine"], checks["queue"]["mode"]) == ("postgresql", "redis")
    assert checks["queue"]["workers"] >= 1
    assert checks["scheduler"]["seconds_ago"] <= 30
    watermark = stack.outbox_watermark()

    # The adviser asks; the worker routes the question to the expert.
    adviser = visitor()
    adviser.sign_in(ADVISER)
    watch = Stopwatch("ask → publish")
    question_id = ask(adviser, title)
    wait_until_routed(stack, adviser, question_id, timeout=60)
    watch.lap("routed to the expert")

    # The expert accepts it on the dashboard and answers it.
    expert = visitor()
    expert.sign_in(EXPERT)
    dashboard = expert.get("/experts/dashboard/")
    assert dashboard.status_code == 200
    assert escape(title) in dashboard.text
    accepted = expert.submit("/experts/dashboard/", form_action=f"/experts/questions/{question_id}/accept/")
    assert accepted.status_code == 200
    assert question_state(stack, question_id) == ("assigned", EXPERT, True)
    answered = expert.submit(f"/experts/questions/{question_id}/", having="body", action="submit", body=ANSWER)
    assert answered.status_code == 200
    assert answered.url.endswith("/experts/dashboard/")
    assert "Thank you: your answer has gone to a coordinator for review." in answered.text
    assert question_state(stack, question_id)[0] == "answered"

    # The coordinator publishes it from the review screen.
    coordinator = visitor()
    coordinator.sign_in(COORDINATOR)
    assert escape(title) in coordinator.get("/admin/questions/review/").text
    published = coordinator.submit(f"/admin/questions/review/{question_id}/", having="title", action="publish")
    assert published.status_code == 200
    assert published.url.endswith("/admin/questions/review/"), published.url
    assert f"Published “{escape(title)}”." in published.text
    assert question_state(stack, question_id)[0] == "published"
    watch.lap("published")

    # The public feed lists it, and its link is the answer's page.
    response = stack.http("/feeds/latest.rss")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.text)
    assert not feed.bozo, feed.get("bozo_exception")
    entries = [entry for entry in feed.entries if entry.title == title]
    assert len(entries) == 1, [entry.title for entry in feed.entries]
    page = stack.http(urlsplit(entries[0].link).path)
    assert page.status_code == 200
    assert escape(title) in page.text

    # E-mails: the assignment to the expert and "answered" to the adviser, once each; followers' alerts once each.
    wait_for_mail(stack, f"Answered: {title}", to=ADVISER)
    jobs = stack.wait_outbox_settled(watermark)
    watch.lap("every side effect done")
    assert [row for row in jobs if row[2] != "done"] == [], jobs
    assert [mail.recipients for mail in stack.sink.matching(f"New question for you: {title}")] == [[EXPERT]]
    assert [mail.recipients for mail in stack.sink.matching(f"Answered: {title}")] == [[ADVISER]]
    alerts = Counter(recipient for mail in stack.sink.matching(f"New answer: {title}") for recipient in mail.recipients)
    assert all(count == 1 for count in alerts.values()), alerts
    about_it = {mail.subject for mail in stack.sink.mails() if title in mail.subject}
    assert about_it <= {f"New question for you: {title}", f"Answered: {title}", f"New answer: {title}"}, about_it
    print(f"\n[mail] about the question: {sorted(about_it)}; alerts to {sorted(alerts)}", end="", flush=True)
    assert_nothing_sent_twice(stack)


# --- 2. Redis killed, and back


def test_redis_killed_pages_answer_and_a_question_waits_then_is_routed_once_redis_is_back(whole, visitor):
    stack = whole
    title = "May our hall committee hold its annual meeting online this year?"
    problems = []  # failures that need not stop the rest of the test from running; asserted at the end
    feed = feedparser.parse(stack.http("/feeds/latest.rss").text)
    assert feed.entries, "the feed lists no answer to read during the outage"
    answer_path = urlsplit(feed.entries[0].link).path
    topic_path = answer_path.rstrip("/").rsplit("/", 1)[0] + "/"
    signed_in_before = visitor()
    signed_in_before.sign_in(ADVISER)
    pids = {name: process.pid for name, process in stack.processes.items()}
    watermark = stack.outbox_watermark()

    stack.redis.kill()
    outage = Stopwatch("redis down")
    killed_at = stack.database.value("SELECT now()")

    # Pages answer; the liveness probe is fine; readiness says the queue is down, and nothing more.
    for path in ("/", topic_path, "/search/?q=trustees", "/feeds/latest.rss", "/accounts/login/", answer_path):
        response = stack.http(path, timeout=30)
        assert response.status_code == 200, f"GET {path} answered {response.status_code} with Redis down"
    healthz = stack.http("/healthz")
    assert (healthz.status_code, healthz.text) == (200, "ok\n")
    readyz = stack.http("/readyz")
    assert readyz.status_code == 503
    body = readyz.json()
    assert body["status"] == "not ready"
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["queue"]["error"] == "ConnectionError: unavailable"
    assert body["checks"]["database"]["ok"] is True
    for secret in ("Traceback", stack.secret_key, stack.redis.url, f"127.0.0.1:{stack.redis.port}", "postgres://"):
        assert secret not in readyz.text, f"/readyz shows {secret!r} while Redis is down"
    outage.lap("pages, /healthz and /readyz checked")

    # Signing in (sessions live in the database; rate limits fail open) and asking.
    adviser = visitor()
    try:
        adviser.sign_in(ADVISER)
    except HarnessError as exc:
        # Recorded, and the test fails for it at the end; meanwhile someone who signed in before the outage asks,
        # so the rest of the outage is still checked.
        problems.append(f"signing in while Redis is down failed: {exc}")
        adviser = signed_in_before
    question_id = ask(adviser, title)
    outage.lap("question asked")
    assert question_state(stack, question_id)[0] == "submitted"
    assert [row[1:4] for row in stack.outbox(ROUTE, question_id)] == [("pending", 0, 0)]

    # The scheduler carries on through the outage (the relay finds the queue down and says so in its outcome).
    wait_for(
        "a scheduler turn finished while Redis is down",
        lambda: stack.database.value(
            "SELECT count(*) FROM scheduling_scheduledjob WHERE name = %s AND last_finished_at > %s",
            [RELAY, killed_at],
        ),
        timeout=30,
        log=stack.processes["scheduler"],
    )
    time.sleep(max(0.0, 15 - (time.monotonic() - outage.started)))  # an outage of 15 s at least
    for name, process in stack.processes.items():
        assert process.alive, f"{name} did not ride out the outage\n{process.describe()}"
        assert process.pid == pids[name], f"{name} was started again during the outage"
    outage.lap("Redis restarted")

    # Redis comes back empty, as after a crash: the question is routed without anyone touching anything.
    stack.redis.start()
    back = Stopwatch("redis back")
    wait_until_routed(stack, adviser, question_id, timeout=120)
    back.lap("question routed")
    body = stack.wait_until_ready(timeout=120, fresh_within=30)
    back.lap("/readyz ready again (worker counted, scheduler run fresh)")
    assert body["checks"]["queue"]["workers"] >= 1
    relayed_after = stack.database.value(
        "SELECT last_finished_at FROM scheduling_scheduledjob WHERE name = %s", [RELAY]
    )
    assert relayed_after > killed_at
    [(_, state, attempts, handovers, _)] = stack.outbox(ROUTE, question_id)
    assert (state, attempts) == ("done", 1)  # run once …
    assert handovers >= 1  # … after the relay handed it over again

    wait_for_mail(stack, f"New question for you: {title}", to=EXPERT)
    jobs = stack.wait_outbox_settled(watermark)
    back.lap("every side effect done")
    assert [row for row in jobs if row[2] != "done"] == [], jobs
    assert [mail.recipients for mail in stack.sink.matching(f"New question for you: {title}")] == [[EXPERT]]
    assert_nothing_sent_twice(stack)
    assert not problems, problems


# --- 3. A worker killed in the middle of a job


def tcp_ports(pids):
    """The local ports of the TCP sockets the processes ``pids`` hold open (from /proc)."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_database_ends_the_web_servers_connections_the_next_pages_are_served(whole, visitor):
    """The web workers keep their database connections between requests, and check a kept one without a round
    trip when it looks quiet (qa_site/postgresql/base.py). Ended by the server (as by a restart), each is
    replaced when the next request comes: no error page."""
    stack = whole
    feed = feedparser.parse(stack.http("/feeds/latest.rss").text)
    assert feed.entries, "the feed lists no answer to read"
    answer_path = urlsplit(feed.entries[0].link).path
    adviser = visitor()
    adviser.sign_in(ADVISER)
    for _ in range(8):  # each web worker serves some, on the connection it keeps
        assert adviser.get(answer_path).status_code == 200
        assert stack.http("/").status_code == 200

    web = stack.processes["web"].pid
    log = stack.processes["web"].log_path
    logged_before = log.stat().st_size
    ports = tcp_ports([web, *children(web)])
    ended = stack.database.rows(
        "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND client_port = ANY(%s)",
        [sorted(ports)],
    )
    assert ended, f"found no connection of the web server (pid {web}) to PostgreSQL among its TCP ports {ports}"
    assert all(done for _pid, done in ended)
    wait_for(
        "the server to end the web workers' connections",
        lambda: not stack.database.rows("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", [[p for p, _ in ended]]),
        timeout=30,
    )

    for _ in range(8):
        page = adviser.get(answer_path)
        assert page.status_code == 200, f"the answer page answered {page.status_code} after the connections ended"
        assert "Sign out" in page.text, "the answer page no longer shows the adviser signed in"
        for path in ("/", "/search/?q=trustees"):
            response = stack.http(path)
            assert response.status_code == 200, f"GET {path} answered {response.status_code} once they had ended"
    logged = log.read_bytes()[logged_before:].decode(errors="replace")
    assert "Traceback" not in logged, logged
    assert stack.processes["web"].pid == web


def test_worker_killed_mid_job_the_job_completes_later_once(whole, visitor):
    stack = whole
    title = "Should our hall charity register for VAT before it lets the main room?"
    adviser = visitor()
    adviser.sign_in(ADVISER)
    watermark = stack.outbox_watermark()

    stack.sink.stall()
    try:
        asked = Stopwatch("worker kill")
        question_id = ask(adviser, title)
        wait_until_routed(stack, adviser, question_id, timeout=60)

        def hanging():
            rows = stack.outbox(ASSIGNMENT_MAIL, question_id)
            return rows and rows[0][1] == "running" and stack.sink.held >= 1 and rows[0]

        message_id = wait_for(
            "the assignment e-mail's job hanging in its SMTP conversation",
            hanging,
            timeout=60,
            interval=0.1,
            log=stack.processes["worker"],
        )[0]
        asked.lap("the assignment e-mail's job hanging in SMTP")
        worker = stack.processes["worker"]
        family = [worker.pid, *children(worker.pid)]  # the rq worker and its work-horse (in a group of its own)
        worker.kill()
        killed = Stopwatch("worker killed")  # and its lease (15 s from the claim) running out
        assert len(family) >= 2, f"no work-horse found under the worker ({family})"
        wait_for("the worker and its work-horse gone", lambda: all(gone(pid) for pid in family), timeout=10)
    finally:
        stack.sink.flow()

    # Nobody finishes it: the message stays claimed by the dead worker.
    state, attempts = stack.database.row("SELECT state, attempts FROM outbox_outboxmessage WHERE id = %s", [message_id])
    assert (state, attempts) == ("running", 1)
    assert stack.sink.matching(f"New question for you: {title}") == []

    stack.start("worker")
    wait_for(
        f"outbox message #{message_id} done by the new worker",
        lambda: stack.database.value("SELECT state FROM outbox_outboxmessage WHERE id = %s", [message_id]) == "done",
        timeout=120,
        log=lambda: stack.logs("worker", "scheduler"),
    )
    killed.lap("the e-mail's job done by a new worker")
    state, attempts, handovers, error = stack.database.row(
        "SELECT state, attempts, handovers, last_error FROM outbox_outboxmessage WHERE id = %s", [message_id]
    )
    assert (state, attempts, error) == ("done", 2, "")  # the dead worker's try, and the new worker's
    assert handovers >= 1  # handed over again by the relay once the lease ran out
    wait_for_mail(stack, f"New question for you: {title}", to=EXPERT)
    jobs = stack.wait_outbox_settled(watermark)
    assert [row for row in jobs if row[2] != "done"] == [], jobs
    assert [mail.recipients for mail in stack.sink.matching(f"New question for you: {title}")] == [[EXPERT]]
    assert stack.database.value("SELECT count(*) FROM outbox_sentmail WHERE message_id = %s", [message_id]) == 1
    assert_nothing_sent_twice(stack)


# --- 4. Two schedulers


def scheduler_identity(process):
    """The host:pid a scheduler claims turns as (it says so when it starts)."""
    found = re.findall(r"Scheduler (\S+) started", process.output())
    return found[-1] if found else None


def test_two_schedulers_run_each_turn_once(whole, visitor):
    stack = whole
    title = "Can our hall committee co-opt a new trustee between annual meetings?"
    adviser = visitor()
    adviser.sign_in(ADVISER)
    question_id = ask(adviser, title)
    wait_until_routed(stack, adviser, question_id, timeout=60)

    first = stack.processes["scheduler"]
    second = stack.start_another("scheduler", log_name="scheduler-2")
    wait_for("the second scheduler started", lambda: scheduler_identity(second), timeout=60, log=second)
    names = {scheduler_identity(first): "first", scheduler_identity(second): "second"}
    # The reminder situation: the question's warning moment has passed, its due time has not.
    late = stack.database.execute(
        "UPDATE knowledge_question SET warn_at = now() - interval '1 minute'"
        " WHERE id = %s AND reminder_sent_at IS NULL AND due_at > now() + interval '1 hour'",
        [question_id],
    )
    assert late == 1
    watermark = stack.outbox_watermark()
    # Every job due at once: both schedulers go for every turn. Each turn claimed from now on is logged (a job's
    # turns are at least its interval apart, so polling four times a second misses none).
    forced = stack.database.rows(
        "UPDATE scheduling_scheduledjob SET next_run_at = now()"
        " RETURNING name, runs, interval, last_started_at, last_finished_at, now()"
    )
    forced_at = forced[0][5]
    watch = Stopwatch("two schedulers")
    turns = set()

    def observe():
        jobs = stack.scheduled_jobs()
        turns.update(
            (name, job["started"], names.get(job["claimed_by"], job["claimed_by"]))
            for name, job in jobs.items()
            if job["started"] is not None and job["started"] >= forced_at
        )
        return jobs

    def reminders():
        observe()
        return [m for m in stack.sink.mails() if m.subject.startswith("Reminder: due") and title in m.subject]

    wait_for(
        "every job's forced turn finished",
        lambda: all(job["finished"] and job["finished"] >= forced_at for job in observe().values()),
        timeout=90,
        interval=0.25,
        log=lambda: f"{first.describe()}\n{second.describe()}",
    )
    watch.lap("every job's forced turn finished")
    wait_for(f"the SLA reminder for “{title}”", reminders, timeout=60, interval=0.25, log=lambda: stack.logs("worker"))
    watch.lap("reminder e-mail received")

    def paused_until_the_other_takes_a_turn(paused, name, other, other_name):
        paused.signal_group(signal.SIGSTOP)
        try:
            wait_for(
                f"the {other_name} scheduler taking a turn of the relay",
                lambda: observe() and any(job == RELAY and who == other_name for job, _, who in turns),
                timeout=30,
                interval=0.25,
                log=other,
            )
        finally:
            paused.signal_group(signal.SIGCONT)
        watch.lap(f"the {other_name} scheduler took a turn while the {name} was paused")

    # Whichever scheduler looks first takes a turn, often the same one every time, and one may win every turn once
    # both run (seen once: the second took all 16): pause each in turn until the other has taken a turn of the relay,
    # so both have run turns; then let them both compete again.
    paused_until_the_other_takes_a_turn(first, "first", second, "second")
    paused_until_the_other_takes_a_turn(second, "second", first, "first")
    while time.monotonic() - watch.started < 35:  # both running again, for a few more turns of the relay
        observe()
        time.sleep(0.25)
    assert first.alive, first.describe()
    assert second.alive, second.describe()
    jobs = wait_for(
        "no scheduled job running",
        lambda: (jobs := observe()) and all(job["finished"] >= job["started"] for job in jobs.values()) and jobs,
        timeout=60,
        interval=0.25,
    )
    elapsed = (stack.database.value("SELECT now()") - forced_at).total_seconds()

    runs = {}
    for name, runs_before, interval, started, finished, _ in forced:
        finished_since = int(started is not None and (finished is None or started > finished))  # was running
        runs[name] = jobs[name]["runs"] - runs_before - finished_since
        starts = sorted(started for job, started, _ in turns if job == name)
        # Each turn was claimed once and run once: as many runs as turns, turns an interval apart, none extra.
        assert runs[name] == len(starts), f"{name}: {runs[name]} runs for {len(starts)} turns in {elapsed:.0f} s"
        gaps = [(later - earlier).total_seconds() for earlier, later in zip(starts, starts[1:], strict=False)]
        assert all(gap >= interval - 1 for gap in gaps), f"{name} ran {gaps} s apart (every {interval} s)"
        assert 1 <= runs[name] <= 1 + int(elapsed // interval), f"{name} ran {runs[name]} times in {elapsed:.0f} s"
    claimers = Counter(who for _, _, who in turns)
    print(f"\n[schedulers] runs in {elapsed:.0f} s: {runs}; turns taken: {dict(claimers)}", end="")
    assert runs["experts.sla.sweep"] == 1
    assert set(claimers) == {"first", "second"}

    # The reminder: claimed once, recorded once, sent once.
    assert [mail.recipients for mail in reminders()] == [[EXPERT]]
    sent = stack.database.value(
        "SELECT reminder_sent_at IS NOT NULL FROM knowledge_question WHERE id = %s", [question_id]
    )
    assert sent
    assert len(stack.outbox("experts.tasks.send_sla_reminder", question_id)) == 1
    jobs_after = stack.wait_outbox_settled(watermark)
    assert [row for row in jobs_after if row[2] != "done"] == [], jobs_after
    assert_nothing_sent_twice(stack)

    assert second.stop(timeout=30) == 0, second.describe()
    assert "Scheduler stopped." in second.output()


# --- 5. Start-up refused without a required variable


@pytest.mark.parametrize("line", ["web", "worker", "scheduler"])
def test_procfile_line_refuses_to_start_naming_each_missing_required_variable(database_url, tmp_path, line):
    command = parse_procfile()[line]

    def attempt(variable):
        port = free_port()
        complete = {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing",
            "REDIS_URL": "redis://127.0.0.1:9/0",
            "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "127.0.0.1",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "EMAIL_URL": "console://",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
        }
        process = Process(
            f"{line} without {variable}",
            command,
            env=process_env(tmp_path, **{**complete, variable: None}),
            log_path=tmp_path / f"{line}-without-{variable}.log",
        ).start()
        status = process.wait(90)
        if status is None:
            process.kill()
        return variable, status, process

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(attempt, REQUIRED))
    wrong = []
    for variable, status, process in outcomes:
        named = re.search(rf"which are not set: {variable} \(", process.output())
        if status is None:
            wrong.append(f"still running after 90 s without {variable}\n{process.describe()}")
        elif status == 0 or not named:
            wrong.append(f"exited with {status} without naming {variable}\n{process.describe()}")
    assert not wrong, "\n\n".join(wrong)
