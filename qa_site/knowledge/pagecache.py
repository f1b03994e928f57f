"""Reader pages rendered once per publication and audience, then served from the cache.

The knowledge base is read far more than it changes, and what a page shows depends on two things only: the
published answers (the publication generation, ``generation.py``) and who reads (the *audience*). So a reader page
— home, topic index, topic pages, answer pages, expert profiles, search results — is rendered once per generation
and audience, kept under ``pages:<generation>:<digest of scheme, host, path, query and audience>``, and served from
there until the next change makes the generation new.

**Audiences** come from the one access policy (``subscriptions.access``), never from a view:

- ``anon`` — not signed in;
- ``public`` — signed in without subscriber access (no live network, not on the panel): teasers of public answers;
- ``r<network ids>`` (and ``e<user id>`` for an expert on the panel, who also sees the network-only answers they
  wrote) — the answers those networks' members may list, read in full.

Coordinators are not served from the cache (they see everything, and few of them read). Two readers with the same
audience see the same answers, the same teasers or full texts, and the same links; readers of different networks
have different audiences, so never each other's page.

**Personal parts** of a page — the signed-in name and navigation, messages, "Was this helpful?", one's own rating,
the Follow button — are *fragments*: ``{% personal "name" arg=value %}`` in a template. When a page is rendered for
the cache the tag leaves a marker (with a random nonce, so no text in an answer can fake one) and notes the
fragment's name and arguments; each request then renders the fragments for its own reader and puts them in. The
cached part of a page never contains a CSRF token or a CSP nonce: a page whose cached part would is not cached.

**Effects** are what a view does on every request besides rendering (counting an answer read for the value report,
logging a search): ``pagecache.effect(request, name, **args)`` runs them at once on an uncached page and notes them
when recording, so that each later request served from the cache does them too.

**Anonymous readers** are answered before the session, authentication and CSRF middleware
(``AnonymousPageMiddleware``): a request with no session cookie gets the page assembled for ``anon`` straight
from the cache. Signed-in readers go through the usual middleware, then ``cached`` (around Wagtail's serve view and
the other reader views) finds their audience's entry without routing or rendering; what the policy knows of them is
read from a snapshot in the cache (``access.snapshot``) rather than four queries.

Responses carry an ETag (and, for anonymous readers, Last-Modified), with ``Cache-Control: no-cache`` so browsers
revalidate, and ``Vary: Cookie`` so a shared cache never gives one reader's page to another.
"""

import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.template.context_processors import csrf
from django.template.loader import get_template
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.crypto import get_random_string
from django.utils.http import http_date
from django.utils.safestring import mark_safe

from qa_site.accounts import sessions
from subscriptions import access

from . import generation

MESSAGES_COOKIE = CookieStorage.cookie_name
_CSRF_VALUE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
PAGE_SECONDS = 60 * 60  # besides the generation: bounds how long a change that sends no signal takes to show
_fragments = {}  # name -> (template name, context function, vary function or None, lookup function or None)
_rendered = OrderedDict()  # (fragment name, vary key) -> text with CSRF_STAND_IN where the reader's token goes
RENDERED_FRAGMENTS = 4096  # kept per process, the most recently used
_rendered_lock = threading.Lock()
CSRF_STAND_IN = "qa-csrf-" + get_random_string(24)  # never a real token: it is replaced before the page leaves
_effects = {}  # name -> function(request, **args)


# --- Registering fragments and effects ---------------------------------------------------------------------------


def fragment(name, template, *, vary=None, lookup=None):
    """Register ``func(request, **args) -> context`` as the fragment ``name``, rendered with ``template``.

    The template gets ``request``, ``user``, ``nav`` and ``csrf_token`` besides what the function returns. Arguments
    come from the page's template and are kept in the cache: plain values only (numbers, strings, booleans).

    ``vary(request, context) -> key`` (optional) names everything the template reads besides the CSRF token, as a
    hashable value: the text rendered for a key is kept in the process and used again for the same key, with the
    reader's own token put in. It returns None where the text must be rendered afresh.

    ``lookup(request, **args) -> [(sql, params), ...]`` (optional) names what the fragment reads from the database
    for this reader, as scalar subqueries (one value each: the reader's vote, their follow…). A page's fragments
    are looked up together, in one query (``look_up``), and ``func`` gets the values as ``looked_up`` (a tuple, in
    the order asked). On PostgreSQL each query is a round trip to another process: a signed-in reader's answer page
    made one per fragment.
    """

    def register(func):
        _fragments[name] = (template, func, vary, lookup)
        return func

    return register


def effect_handler(name):
    """Register ``func(request, **args)`` as the effect ``name`` (see ``effect``)."""

    def register(func):
        _effects[name] = func
        return func

    return register


def effect(request, name, **args):
    """Do the effect ``name`` for this request, and for every later request served this page from the cache."""
    recorder = getattr(request, "_page_recorder", None)
    if recorder is not None:
        recorder.effects.append((name, args))
    else:
        _effects[name](request, **args)


def cacheable(request, *, params=()):
    """Called by a view (or a page's ``serve``): this response may be cached, for requests whose query string
    holds only ``params`` (others are rendered each time)."""
    recorder = getattr(request, "_page_recorder", None)
    if recorder is not None:
        recorder.params = frozenset(params)


# --- Rendering fragments -----------------------------------------------------------------------------------------


def _fragment_context(request):
    user = getattr(request, "user", None) or AnonymousUser()
    token = getattr(request, "_qa_csrf_token", None)
    if token is None:  # one (lazy) masked token for all of a page's forms: masking one costs 32 random choices
        token = request._qa_csrf_token = csrf(request)["csrf_token"]
    return {"request": request, "user": user, "nav": getattr(request, "qa_nav", None) or {}, "csrf_token": token}


def look_up(pieces):
    """The values of these scalar subqueries (``[(sql, params), ...]``), in one query."""
    if not pieces:
        return ()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"({sql})" for sql, _ in pieces), [param for _, params in pieces for param in params]
        )
        return tuple(cursor.fetchone())


def _lookups(request, name, args):
    lookup = _fragments[name][3]
    return list(lookup(request, **args) or ()) if lookup is not None else None


def render_fragment(request, name, args, *, pieces=None, looked_up=None):
    """One fragment's text for this reader. ``pieces`` and ``looked_up``: its lookups and their values, when the
    caller looked them up with other fragments' (``fill``); otherwise they are looked up here."""
    template_name, func, vary, lookup = _fragments[name]
    context = _fragment_context(request)
    if lookup is None:
        context.update(func(request, **args) or {})
    else:
        if pieces is None:
            looked_up = look_up(_lookups(request, name, args))
        context.update(func(request, looked_up=looked_up, **args) or {})
    key = vary(request, context) if vary is not None else None
    if key is None:
        return get_template(template_name).render(context)
    key = (name, key)
    with _rendered_lock:
        text = _rendered.get(key)
        if text is not None:
            _rendered.move_to_end(key)
    if text is None:
        text = get_template(template_name).render({**context, "csrf_token": CSRF_STAND_IN})
        with _rendered_lock:
            _rendered[key] = text
            if len(_rendered) > RENDERED_FRAGMENTS:
                _rendered.popitem(last=False)
    if CSRF_STAND_IN in text:  # only then: asking for the token may set the reader's CSRF cookie
        text = text.replace(CSRF_STAND_IN, str(context["csrf_token"]))
    return text


def personal(request, name, args):
    """What ``{% personal %}`` puts in the page: the fragment itself, or a marker while the page is recorded."""
    recorder = getattr(request, "_page_recorder", None) if request is not None else None
    if recorder is None:
        return mark_safe(render_fragment(request, name, args))
    recorder.fragments.append((name, args))
    return mark_safe(f"<!--{recorder.nonce}:{len(recorder.fragments) - 1}-->")


# --- Entries -----------------------------------------------------------------------------------------------------


@dataclass
class Entry:
    chunks: list  # the page's text between its fragments (one more than fragments)
    fragments: list  # (name, args)
    effects: list  # (name, args)
    status: int
    content_type: str
    rendered_at: int
    anonymous: bytes | None = None  # the whole page for the anonymous audience
    etag: str = ""


class _Recorder:
    def __init__(self):
        self.nonce = get_random_string(20)
        self.fragments, self.effects = [], []
        self.params = None  # set by ``cacheable``

    def entry(self, response):
        """The response as an ``Entry``: its text cut at each marker, wherever and however often it was output (a
        fragment in a part of the template that was not output is simply not there)."""
        text = response.content.decode(response.charset or "utf-8")
        pieces = re.split(f"<!--{re.escape(self.nonce)}:(\\d+)-->", text)
        return Entry(
            chunks=pieces[0::2],
            fragments=[self.fragments[int(index)] for index in pieces[1::2]],
            effects=self.effects,
            status=response.status_code,
            content_type=response.get("Content-Type", "text/html; charset=utf-8"),
            rendered_at=int(time.time()),
        )


def _personal_free(entry):
    """No CSRF token or CSP nonce in the shared part of the page (they belong to one request)."""
    return not any("csrfmiddlewaretoken" in chunk or " nonce=" in chunk for chunk in entry.chunks)


# What each signed-in reader's page at each address looked up last time: (full path, user id) -> pieces. The next
# request for it has them read with the session (``sessions.read_also``), in the same query, and uses the values
# if this page's lookups are exactly those again (same SQL, same parameters); otherwise it looks them up itself.
EXPECTED_LOOKUPS = 20_000
_expected = OrderedDict()
_expected_lock = threading.Lock()


def expect_lookups(request):
    """Called before the session is read: ask for this reader's lookups at this address to be read with it."""
    sessions.read_also.set(None)
    sessions.read_also_values.set(None)
    if request.method != "GET":
        return
    owner = sessions.owner_of(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    if owner is None:
        return
    with _expected_lock:
        pieces = _expected.get((request.get_full_path(), owner))
    if pieces:
        sessions.read_also.set(pieces)


def _looked_up_for(request, pieces):
    """The values of ``pieces``: read with the session if they are what was expected, else in a query now."""
    if not pieces:
        return ()
    user = getattr(request, "user", None)
    read = sessions.read_also_values.get()
    if read is not None and user is not None and user.is_authenticated and read[0] == str(user.pk):
        sessions.read_also_values.set(None)
        if read[1] == pieces:
            return read[2]
    values = look_up(pieces)
    if request.method == "GET" and user is not None and user.is_authenticated:
        with _expected_lock:
            _expected[(request.get_full_path(), str(user.pk))] = pieces
            _expected.move_to_end((request.get_full_path(), str(user.pk)))
            if len(_expected) > EXPECTED_LOOKUPS:
                _expected.popitem(last=False)
    return values


def fill(entry, request):
    """The page for this request: the shared parts with this reader's fragments put in, their lookups made in one
    query (or read with the session: ``expect_lookups``)."""
    wanted = [_lookups(request, name, args) for name, args in entry.fragments]
    values = iter(_looked_up_for(request, [piece for pieces in wanted if pieces for piece in pieces]))
    parts = [entry.chunks[0]]
    for (name, args), pieces, chunk in zip(entry.fragments, wanted, entry.chunks[1:], strict=True):
        looked_up = tuple(next(values) for _ in pieces) if pieces is not None else None
        parts.append(render_fragment(request, name, args, pieces=pieces, looked_up=looked_up))
        parts.append(chunk)
    return "".join(parts)


def _anonymous_body(entry, request):
    """The page as any anonymous reader of this address gets it: no messages, no session, no CSRF token."""
    stand_in = type(request).__new__(type(request))
    stand_in.__dict__.update(request.__dict__)
    stand_in.user, stand_in.qa_nav = AnonymousUser(), {}
    stand_in._messages = []
    stand_in.META = {**request.META, "CSRF_COOKIE": None}
    body = fill(entry, stand_in)
    if "csrfmiddlewaretoken" in body or " nonce=" in body:
        return None
    return body.encode("utf-8")


def key_for(request, audience):
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    identity = f"{request.scheme}://{request.get_host()}{request.path}?{query}|{audience}"
    return f"pages:{generation.current()}:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"


# --- Who reads ---------------------------------------------------------------------------------------------------


def audience_of(request):
    """The reader's audience (see the module's docstring), or None for a reader whose pages are not cached.

    For a signed-in reader this reads the policy's snapshot of them, and leaves the navigation it implies on the
    request (``request.qa_nav``), so neither the page nor its fragments ask the database again.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anon"
    if not user.is_active or access.is_coordinator(user):
        return None
    snapshot = access.snapshot(user)
    networks, expert = snapshot["networks"], snapshot["expert"]
    request.qa_nav = {
        "can_ask": bool(networks),
        "has_questions": snapshot.get("asked", bool(networks)),
        "is_expert": expert,
        "is_coordinator": False,
        "is_network_admin": snapshot["network_admin"],
    }
    if not networks and not expert:
        return "public"
    return "r" + ".".join(str(n) for n in networks) + (f"e{user.pk}" if expert else "")


# --- Serving -----------------------------------------------------------------------------------------------------


def _respond(request, entry, body, *, etag, anonymous):
    response = HttpResponse(body, content_type=entry.content_type, status=entry.status)
    response["ETag"] = etag
    if anonymous:
        response["Last-Modified"] = http_date(entry.rendered_at)
        response["Cache-Control"] = "no-cache"
    else:
        response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(
        request, etag=etag, last_modified=entry.rendered_at if anonymous else None, response=response
    )


def _run_effects(request, entry):
    for name, args in entry.effects:
        _effects[name](request, **args)


# Addresses this process has served a cached anonymous page at: the middleware looks up only these, so that no other
# request (an admin page, a health probe, a static file WhiteNoise did not have) costs a lookup. The most recent
# ANONYMOUS_PATHS are kept; another process's pages join the first time this one serves them through ``cached``.
ANONYMOUS_PATHS = 10_000
_anonymous_paths = OrderedDict()
_paths_lock = threading.Lock()


def _note_anonymous_path(path):
    with _paths_lock:
        _anonymous_paths[path] = True
        _anonymous_paths.move_to_end(path)
        if len(_anonymous_paths) > ANONYMOUS_PATHS:
            _anonymous_paths.popitem(last=False)


def deliver(request, entry, audience):
    """The response to ``request`` from ``entry``: fragments rendered for this reader, effects done."""
    if audience == "anon" and entry.anonymous is not None:
        _note_anonymous_path(request.path)
    _run_effects(request, entry)
    if audience == "anon" and entry.anonymous is not None and not request.COOKIES.get(MESSAGES_COOKIE):
        return _respond(request, entry, entry.anonymous, etag=entry.etag, anonymous=True)
    body = fill(entry, request).encode("utf-8")
    # CSRF tokens are masked afresh for each response; any of them is good for this reader, so the ETag leaves
    # them out and a page that is otherwise the same is "not modified".
    unmasked = _CSRF_VALUE.sub(b"", body)
    etag = '"' + hashlib.md5(unmasked, usedforsecurity=False).hexdigest() + '"'
    return _respond(request, entry, body, etag=etag, anonymous=False)


def _record(request, view, args, kwargs):
    """Render the view with fragments left as markers: (response, recorder, entry; None for a streamed response)."""
    recorder = request._page_recorder = _Recorder()
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
    finally:
        del request._page_recorder
    if getattr(response, "streaming", False):
        return response, recorder, None
    return response, recorder, recorder.entry(response)


def _storable(request, response, recorder, entry):
    return (
        entry is not None
        and recorder.params is not None
        and set(request.GET) <= recorder.params
        and entry.status == 200
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and _personal_free(entry)
    )


def cached(view):
    """Serve ``view`` from the cache per generation and audience. The view says it may be cached (``cacheable``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET":
            return view(request, *args, **kwargs)
        audience = audience_of(request)
        if audience is None:
            return view(request, *args, **kwargs)
        key = key_for(request, audience)
        entry = generation.get(key)
        if entry is not None:
            return deliver(request, entry, audience)
        response, recorder, entry = _record(request, view, args, kwargs)
        if entry is None:  # a streamed response: nothing to assemble
            for name, effect_args in recorder.effects:  # recorded, so not done yet
                _effects[name](request, **effect_args)
            return response
        if _storable(request, response, recorder, entry):
            if audience == "anon":
                entry.anonymous = _anonymous_body(entry, request)
                _prefix, token, digest = key.split(":")
                entry.etag = f'"{token}-{digest}"'
            generation.put(key, entry, PAGE_SECONDS)
            return deliver(request, entry, audience)
        # Not for the cache (an error page, a query string it does not read…): the response as it was, completed.
        _run_effects(request, entry)
        response.content = fill(entry, request).encode(response.charset or "utf-8")
        return response

    return wrapper


class AnonymousPageMiddleware:
    """Anonymous readers' pages straight from the cache, before sessions, authentication and CSRF are set up.

    Placed after the security and CSP middleware (whose headers every response needs) and before the session
    middleware. Only GET requests with no session cookie and no messages waiting, at an address this process has
    served a cached anonymous page at, are answered here; everything else, and every page not in the cache, goes on
    as usual.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        expect_lookups(request)
        if (
            request.method == "GET"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and MESSAGES_COOKIE not in request.COOKIES
            and request.path in _anonymous_paths
        ):
            entry = generation.get(key_for(request, "anon"))
            if entry is not None and entry.anonymous is not None:
                response = deliver(request, entry, "anon")
                response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY")
                return response
        return self.get_response(request)
