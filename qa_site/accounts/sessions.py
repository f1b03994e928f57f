"""The session store: Django's database sessions, with a signed-in request's session read by one plain query, and
its user in the same query.

Reading a session through the ORM built and compiled a query on every signed-in request (as much time as the query
itself on SQLite). This store reads the same row with fixed SQL; saving, expiry and deleting are Django's own.

A session key belongs to one person for its whole life (signing in gives a new key; signing out deletes the row), so
once a process has read a session it knows whose it is: the next time, the session and that person's user row are
read in one query, and ``backends.load_user`` takes the user from there instead of asking again. A caller that knows
what else this request will read for that person (the page cache: a page's personal parts, ``read_also``) has it
read in the same query (``read_also_values``). On PostgreSQL each query is a round trip to the database server:
a signed-in reader's cached page makes one. Everything is read afresh from the database every time: nothing of it
is kept between requests.

Sessions stay in the database on every stack: signing out deletes the row, so it ends at once in every process
(a copy in a cache that might miss the delete while Redis is away could bring a signed-out session back).
"""

import threading
from collections import OrderedDict
from contextvars import ContextVar

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils import timezone

from . import backends
from .backends import RENAMED

# Scalar subqueries a caller (the page cache) expects this request to need, read in the session's own query when
# the session's person is known: ``[(sql, params), ...]``, and after the read, those with their values.
read_also = ContextVar("session_read_also", default=None)
read_also_values = ContextVar("session_read_also_values", default=None)

KNOWN_SESSIONS = 20_000  # session keys whose person this process remembers, the most recently used
_owners = OrderedDict()  # session key -> the user id in it, as text
_owners_lock = threading.Lock()


def owner_of(session_key):
    """The user id (as text) this process has seen in the session with this key, or None."""
    return _owner(session_key) if session_key else None


def _owner(session_key):
    with _owners_lock:
        owner = _owners.get(session_key)
        if owner is not None:
            _owners.move_to_end(session_key)
        return owner


def _remember(session_key, user_id):
    with _owners_lock:
        _owners[session_key] = user_id
        _owners.move_to_end(session_key)
        if len(_owners) > KNOWN_SESSIONS:
            _owners.popitem(last=False)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        backends.prefetched.set(None)
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        read_also_values.set(None)
        extra = read_also.get() or []
        read_also.set(None)
        owner = _owner(self.session_key)
        same_database = router.db_for_read(get_user_model()) == alias
        sql = f"SELECT {table}.{quote('session_data')}"
        params = []
        if owner is not None and same_database:
            user_model = get_user_model()
            sql += f", {backends.user_columns(alias)}"
            if extra and alias == DEFAULT_DB_ALIAS:  # where the page cache's lookups read
                sql += "".join(f", ({piece})" for piece, _params in extra)
                params += [param for _piece, piece_params in extra for param in piece_params]
            else:
                extra = []
            sql += (
                f" FROM {table} LEFT JOIN {quote(user_model._meta.db_table)} "
                f"ON {quote(user_model._meta.db_table)}.{quote(user_model._meta.pk.column)} = %s"
            )
            params.append(owner)
        else:
            extra = []
            sql += f" FROM {table}"
        sql += f" WHERE {table}.{quote('session_key')} = %s AND {table}.{quote('expire_date')} > %s"
        params += [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())]
        # On PostgreSQL the statement is bound on the server and prepared once per connection
        # (qa_site/postgresql/base.py): it is run on every signed-in request.
        if hasattr(connection, "fetch_one"):
            row = connection.fetch_one(sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        if len(row) > 1:
            columns = len(row) - 1 - len(extra)
            self._read_with = (owner, backends.user_from_row(alias, row[1 : 1 + columns]))
            if extra:
                read_also_values.set((owner, extra, tuple(row[1 + columns :])))
        return model(session_key=self.session_key, session_data=row[0])

    def load(self):
        self._read_with = None
        data = super().load()
        backend = data.get(BACKEND_SESSION_KEY)
        if backend in RENAMED:
            data[BACKEND_SESSION_KEY] = RENAMED[backend]
        user_id = data.get(SESSION_KEY)
        if user_id is not None and self.session_key:
            user_id = str(user_id)
            if self._read_with is not None and self._read_with[0] == user_id:
                backends.prefetched.set(self._read_with)  # for ``load_user``, in this request
            _remember(self.session_key, user_id)
        return data
