"""Read settings from the environment, failing loudly on values that cannot be right.

Every helper raises ``ImproperlyConfigured`` naming the variable and what was
wrong with it, so a typo in a deployment never turns into a silent default.
"""

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


def env_str(name, default=_MISSING):
    """The variable's value; without a default, the variable is required."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of: {', '.join(sorted(_TRUE | _FALSE - {''}))}."
    )


def env_int(name, default=_MISSING, *, minimum=None):
    raw = env_str(name, default=None)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name, default=_MISSING):
    """A comma-separated list; blank items are dropped."""
    raw = env_str(name, default=None)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name, default=_MISSING, *, schemes, hostless=False):
    """A URL whose scheme is one of ``schemes`` and which names a host (or, for sqlite, a path; ``hostless``: the
    caller checks the rest)."""
    raw = env_str(name, default=None)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {raw!r}."
        )
    if parts.scheme != "sqlite" and not hostless and not parts.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r} names no host.")
    return raw


# Sources an operator may add to a Content-Security-Policy directive: an address (scheme optional, "*." for
# subdomains, a port, a path) or a hash of an inline script or style. Keywords ('unsafe-inline', 'none', …),
# "*" and bare schemes ("https:") would open the policy wide and are refused.
_CSP_HOST_SOURCE = re.compile(
    r"(?:(?:https?|wss?)://)?(?:\*\.)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::(?:\d{1,5}|\*))?(?:/[^\s;,'\"]*)?",
    re.IGNORECASE,
)
_CSP_HASH_SOURCE = re.compile(r"'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'")


def env_csp_sources(name):
    """A comma-separated list of Content-Security-Policy sources, e.g. ``https://plausible.io,*.example.org``."""
    sources = env_list(name, [])
    for source in sources:
        if not (_CSP_HOST_SOURCE.fullmatch(source) or _CSP_HASH_SOURCE.fullmatch(source)):
            raise ImproperlyConfigured(
                f"{name}: {source!r} is not an address or a 'sha256-…' hash; "
                "keywords, '*' and bare schemes are not allowed here."
            )
    return sources


def env_float(name, default=_MISSING, *, minimum=None, maximum=None):
    raw = env_str(name, default=None)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}–{maximum}.")
    return value


def env_choice(name, default=_MISSING, *, choices):
    """One of ``choices`` (compared without regard to case), returned as spelled in ``choices``."""
    raw = env_str(name, default=None)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")
