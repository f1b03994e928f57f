"""PostgreSQL through Django's own backend, with the health check of a kept connection made without a round trip.

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
"""

import select

from django.db.backends.postgresql import base

try:
    import psycopg
    from psycopg import pq
except ImportError:  # psycopg2: Django's own check throughout
    pq = None

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
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
