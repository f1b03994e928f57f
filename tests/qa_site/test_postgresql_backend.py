"""The PostgreSQL backend (qa_site/postgresql/base.py). Its health check: a kept connection that is idle and has
heard nothing from the server is used without a ``SELECT 1`` first; one the server has ended is closed and replaced,
so the request that finds it is served. The session's statement is prepared once per connection, and nothing else.

Each test opens its own connections to the test database (outside the test's transaction), as a web process keeps
one between requests; ``pg_stat_activity`` shows what each has last sent to the server.
"""

import time

import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, connection, connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from qa_site.postgresql.base import DatabaseWrapper
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


def kept_connection():
    """A connection as production keeps one: kept for 10 minutes, health checks on."""
    settings = {**connections[DEFAULT_DB_ALIAS].settings_dict, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    return load_backend(settings["ENGINE"]).DatabaseWrapper(settings, DEFAULT_DB_ALIAS)


@pytest.fixture
def kept():
    made = []

    def make():
        made.append(kept_connection())
        return made[-1]

    yield make
    for each in made:
        each.close()


def backend_pid(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request(wrapper):
    """What Django does to a kept connection between requests and at the next request's first query."""
    wrapper.close_if_unusable_or_obsolete()  # request_finished / request_started
    wrapper.close_if_health_check_failed()  # the first cursor of the request


def last_sent(observer, pid):
    with observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else None


def end_connection(observer, pid):
    """The server ends connection ``pid`` (as a restart or an idle timeout would); wait until it has gone."""
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 30
    while last_sent(observer, pid) is not None:
        assert time.monotonic() < deadline, f"the server did not end connection {pid} within 30 s"
        time.sleep(0.05)


def test_settings_use_the_projects_backend(db):
    assert connection.settings_dict["ENGINE"] == "qa_site.postgresql"
    assert isinstance(connections[DEFAULT_DB_ALIAS], DatabaseWrapper)


def test_a_quiet_kept_connection_is_used_without_a_round_trip(db, kept):
    web, observer = kept(), kept()
    pid = backend_pid(web)
    with web.cursor() as cursor:
        cursor.execute("SELECT 'the last page''s query'")

    next_request(web)

    assert web.health_check_done
    assert web.connection is not None
    assert not web.connection.closed
    assert last_sent(observer, pid) == "SELECT 'the last page''s query'"  # no SELECT 1 went to the server
    assert backend_pid(web) == pid  # the same connection serves the request


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(db, kept):
    web, observer = kept(), kept()
    pid = backend_pid(web)
    end_connection(observer, pid)

    next_request(web)

    assert web.connection is None  # closed by the check, not left for the page's query to fail on
    new_pid = backend_pid(web)  # the request's query opens a new connection and succeeds
    assert new_pid != pid


def test_a_connection_left_in_a_transaction_gets_the_full_check(db, kept):
    web, observer = kept(), kept()
    pid = backend_pid(web)
    web.connection.execute("BEGIN")  # below Django: a transaction it does not know of
    try:
        web.health_check_done = False
        web.close_if_health_check_failed()
        assert last_sent(observer, pid) == "SELECT 1"
    finally:
        web.connection.execute("ROLLBACK")


def prepared_statements(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_session_statement_is_prepared_once_per_connection(db, client):
    client.force_login(UserFactory())
    for _ in range(3):
        assert client.get("/account/").status_code == 200
    prepared = prepared_statements(connections[DEFAULT_DB_ALIAS])
    for _ in range(3):
        assert client.get("/account/").status_code == 200

    assert prepared  # the session, read with its user once the process knows whose it is (and before, without)
    assert all('FROM "django_session"' in statement for statement in prepared), prepared  # and nothing of Django's
    assert prepared_statements(connections[DEFAULT_DB_ALIAS]) == prepared  # the same statements, used again
    with CaptureQueriesContext(connection) as queries:
        client.get("/account/")
    session_read = queries.captured_queries[0]["sql"]  # the query log shows it with its values, as Django's own
    assert session_read.startswith('SELECT "django_session"."session_data"')
    assert client.session.session_key in session_read


def test_with_prepared_statements_off_nothing_is_prepared(db):
    settings = connections[DEFAULT_DB_ALIAS].settings_dict
    settings = {**settings, "OPTIONS": {**settings["OPTIONS"], "prepare_session_statements": False}}
    wrapper = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, DEFAULT_DB_ALIAS)
    try:
        for _ in range(3):
            assert wrapper.fetch_one("SELECT %s::int + 1", [1]) == (2,)
        assert prepared_statements(wrapper) == []
    finally:
        wrapper.close()


def test_the_read_keeps_its_cursor_for_the_connections_life_and_still_shows_in_the_query_log(db, kept):
    web, observer = kept(), kept()
    assert web.fetch_one("SELECT %s::int + 1", [1]) == (2,)
    cursor = web._kept_cursor
    next_request(web)
    with CaptureQueriesContext(web) as queries:
        assert web.fetch_one("SELECT %s::int + 1", [2]) == (3,)
    assert web._kept_cursor is cursor  # the same psycopg cursor: nothing set up again
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 2::int + 1"]

    with pytest.raises(DataError):  # a failed read leaves the cursor usable for the next
        web.fetch_one("SELECT %s::int", ["not a number"])
    assert web.fetch_one("SELECT %s::int + 1", [3]) == (4,)

    pid = backend_pid(web)
    end_connection(observer, pid)
    next_request(web)
    assert web.fetch_one("SELECT %s::int + 1", [4]) == (5,)  # a new connection, and a cursor on it
    assert web._kept_cursor is not cursor
    assert web._kept_cursor.connection is web.connection
    assert backend_pid(web) != pid


def test_a_statement_prepared_before_a_migration_changed_its_columns_is_prepared_again(db, kept):
    web, migration = kept(), kept()
    table = "qa_test_prepared_read"
    with migration.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, name varchar(10))")
        cursor.execute(f"INSERT INTO {table} VALUES (1, 'Jo')")
    try:
        read = f"SELECT name FROM {table} WHERE id = %s"
        assert web.fetch_one(read, [1]) == ("Jo",)
        pid = backend_pid(web)
        with migration.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(40)")

        assert web.fetch_one(read, [1]) == ("Jo",)  # the server refused the old one; a new connection read it
        assert backend_pid(web) != pid
        assert web.fetch_one(read, [1]) == ("Jo",)
    finally:
        with migration.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
