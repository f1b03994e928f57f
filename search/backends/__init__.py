"""Search engines behind one interface (see ``base.py``).

``get_backend()`` returns the configured engine: the database engine (SQLite FTS5 or PostgreSQL
full-text) on the embedded default, Elasticsearch when ``ELASTICSEARCH_URL`` is set, falling back to
the database engine (and logging it) when the cluster does not answer.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def get_backend():
    """The configured engine (``settings.SEARCH_BACKEND``, a dotted class path), built once per process."""
    return import_string(settings.SEARCH_BACKEND)()


def reset_backend():
    """Forget the built engine (tests that switch ``SEARCH_BACKEND`` call this)."""
    get_backend.cache_clear()
