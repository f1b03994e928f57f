"""Authentication backends: Django's and allauth's, with the signed-in reader's user loaded by one plain query.

Every signed-in request loads its user (``AuthenticationMiddleware``). Django's ``ModelBackend.get_user`` builds and
compiles an ORM query for that each time; on a page served from the page cache that was a sixth of the request's
time. ``load_user`` reads the same row with SQL prepared once per process and makes the same model instance; when the
session store has already read it with the session (``sessions.py``), it takes that one.
Signing in (``authenticate``) and permissions are the backends' own, unchanged.
"""

from contextvars import ContextVar

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends, get_user_model
from django.db import connections, router

_statement = {}  # database alias -> (SQL, attribute names, converters, the columns qualified by the table's name)
# The user a session store read together with its session (``sessions.SessionStore``), for ``load_user`` to take
# instead of asking again: (user id as text, the user or None).
prefetched = ContextVar("prefetched_user", default=None)


def _user_statement(alias):
    if alias not in _statement:
        model = get_user_model()
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        table = quote(model._meta.db_table)
        sql = "SELECT {} FROM {} WHERE {} = %s".format(
            ", ".join(quote(field.column) for field in fields), table, quote(model._meta.pk.column)
        )
        columns = [field.get_col(model._meta.db_table) for field in fields]
        converters = [
            [
                (converter, column)
                for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            ]
            for column in columns
        ]
        qualified = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
        _statement[alias] = (sql, [field.attname for field in fields], converters, qualified)
    return _statement[alias]


def user_columns(alias):
    """The user table's columns, qualified by its name, for a query that reads a user with something else; its
    values go to ``user_from_row``."""
    return _user_statement(alias)[3]


def user_from_row(alias, row):
    """The user made of ``row``'s values (the columns of ``user_columns``), or None if they are all NULL (no user)."""
    _sql, attnames, converters, _qualified = _user_statement(alias)
    if row[attnames.index(get_user_model()._meta.pk.attname)] is None:
        return None
    connection = connections[alias]
    values = list(row)
    for index, column_converters in enumerate(converters):
        for converter, column in column_converters:  # as the ORM does: SQLite's dates and booleans, for instance
            values[index] = converter(values[index], column, connection)
    return get_user_model().from_db(alias, attnames, values)


def load_user(user_id):
    """The user with this primary key (active or not), or None."""
    taken = prefetched.get()
    if taken is not None:
        prefetched.set(None)
        if taken[0] == str(user_id):
            return taken[1]
    alias = router.db_for_read(get_user_model())
    sql = _user_statement(alias)[0]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    return user_from_row(alias, row) if row is not None else None


class _LoadUser:
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_LoadUser, backends.ModelBackend):
    pass


class AuthenticationBackend(_LoadUser, allauth_backends.AuthenticationBackend):
    pass


# Sessions made before these backends name Django's and allauth's own; the session store reads them as these.
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": f"{__name__}.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": f"{__name__}.AuthenticationBackend",
}
