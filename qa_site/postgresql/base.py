"""PostgreSQL through Django's own backend, with the health check of a kept connection made without a round trip,
and a cursor binding its parameters on the server for the statement every signed-in request runs.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection at the start of every request that uses the database by
sending ``SELECT 1`` and waiting for the answer. On a signed-in reader's cached page that doubled the work: the
page itself needs one query (the session, the user and the reader's own parts of the page together), and the check
was a second round trip to the database server before it.

A connection the server has ended (a restart, ``pg_terminate_backend``, an idle timeout, the server's process
killed) is ended from the server's side: the server sends its last message and closes the socket, or the kernel
closes it for a killed process. Either way the socket becomes readable. So a kept connection that is idle (no
transaction open), whose socket has nothing to read, is taken as it is; anything else (something to read, a
connection psycopg already knows is closed or broken, a transaction left open) gets Django's full check, which
sends ``SELECT 1`` and closes the connection if that fails, so the request opens a new one.

What this does not see, nor does Django's check see in time: a server that vanished without closing anything (a
cable pulled). There ``SELECT 1`` would wait for TCP's timeout just as the page's own query does.

``fetch_one()``: Django binds parameters on the client (the values written into the statement's text), which some
ORM queries need, and so PostgreSQL parses and plans every statement afresh. The session's own statement
(``qa_site/accounts/sessions.py``: fixed SQL, run on every signed-in request) goes through ``fetch_one()`` instead,
on a cursor that binds on the server (fixed SQL whose parameters are plain values: no ``IN %s`` lists, no parameters
Django would write into ``GROUP BY``): its values are sent apart and, with ``OPTIONS["prepare_session_statements"]``
(settings: ``DB_PREPARED_STATEMENTS``, on by default), the statement is prepared once per connection, so the server
neither parses nor plans it again. Django's own cursors never prepare (client-side binding cannot), so nothing else
changes. Behind PgBouncer in transaction mode, prepared statements need PgBouncer 1.21 or later with
``max_prepared_statements`` set; otherwise turn them off.

``fetch_one()`` keeps its cursor for the connection's life: a new psycopg cursor sets up its adapters and loaders
afresh, a tenth of what the whole read costs this process on a signed-in request.

A prepared statement outlives a migration that changes the type of a column it returns: the server then refuses it
on every use ("cached plan must not change result type"), which would fail every signed-in request on that
connection until it was replaced. ``fetch_one()`` takes that refusal as the sign to close the connection and read
again on a new one, where the statement is prepared afresh.
"""

import select

from django.db import NotSupportedError
from django.db.backends.postgresql import base, operations

try:
    import psycopg
    from psycopg import pq
except ImportError:  # psycopg2: Django's own check throughout
    pq = None

__all__ = ["DatabaseWrapper"]


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The statement with its values, for ``fetch_one()``'s cursor too (Django's asks a client-side binding
        cursor's text, which a statement bound on the server does not have): for the query log of tests and
        ``DEBUG``, and error reports."""
        if pq is not None and not isinstance(cursor, psycopg.ClientCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_cursor = None  # fetch_one()'s server-binding cursor, on the connection it was made for

    def _close(self):
        self._kept_cursor = None
        super()._close()

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop("prepare_session_statements", None)  # ours, not libpq's
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if pq is not None and self.settings_dict["OPTIONS"].get("prepare_session_statements"):
            # Only server-side binding cursors prepare; Django's own (client-side binding) never do.
            connection.prepare_threshold = 0
        return connection

    def fetch_one(self, sql, params):
        """The first row of a fixed statement, bound on the server (prepared when the settings say so), on a cursor kept
        for the connection's life, logged, counted and with errors translated as ``cursor()``'s; read again on a new
        connection if the server refuses a statement prepared before a migration changed what it returns (outside a
        transaction)."""
        if pq is None:
            with self.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        try:
            return self._fetch_one(sql, params)
        except NotSupportedError as error:
            if self.in_atomic_block or not isinstance(error.__cause__, psycopg.errors.FeatureNotSupported):
                raise
            self.close()
        return self._fetch_one(sql, params)

    def _fetch_one(self, sql, params):
        self.close_if_health_check_failed()
        self.ensure_connection()
        kept = self._kept_cursor
        if kept is None or kept.closed or kept.connection is not self.connection:
            with self.wrap_database_errors:
                kept = self._kept_cursor = base.ServerBindingCursor(self.connection)
        cursor = self._prepare_cursor(kept)  # logged and counted as cursor() does; closed with the connection
        cursor.execute(sql, params)
        return cursor.fetchone()

    def close_if_health_check_failed(self):
        if (
            pq is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.connection is not None
            and not self.pool
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self):
        """True if the connection is open, outside a transaction, and nothing has arrived from the server since it
        last answered (a server that ended the connection has sent something, or closed the socket)."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poll.poll(0)
        except (OSError, ValueError, psycopg.Error):  # any doubt: Django's full check
            return False
