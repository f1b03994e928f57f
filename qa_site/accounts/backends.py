"""Authentication backends: Django's and allauth's, with the signed-in reader's user loaded by one plain query.

Every signed-in request loads its user (``AuthenticationMiddleware``). Django's ``ModelBackend.get_user`` builds and
compiles an ORM query for that each time; on a page served from the page cache that was a sixth of the request's
time. ``load_user`` reads the same row with SQL prepared once per process and makes the same model instance.
Signing in (``authenticate``) and permissions are the backends' own, unchanged.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends, get_user_model
from django.db import connections, router

_statement = {}  # database alias -> (SQL, attribute names, each column's converters from the database's values)


def _user_statement(alias):
    if alias not in _statement:
        model = get_user_model()
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        sql = "SELECT {} FROM {} WHERE {} = %s".format(
            ", ".join(quote(field.column) for field in fields),
            quote(model._meta.db_table),
            quote(model._meta.pk.column),
        )
        columns = [field.get_col(model._meta.db_table) for field in fields]
        converters = [
            [
                (converter, column)
                for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            ]
            for column in columns
        ]
        _statement[alias] = (sql, [field.attname for field in fields], converters)
    return _statement[alias]


def load_user(user_id):
    """The user with this primary key (active or not), or None."""
    model = get_user_model()
    alias = router.db_for_read(model)
    sql, attnames, converters = _user_statement(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column_converters in enumerate(converters):
        for converter, column in column_converters:  # as the ORM does: SQLite's dates and booleans, for instance
            values[index] = converter(values[index], column, connection)
    return model.from_db(alias, attnames, values)


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
