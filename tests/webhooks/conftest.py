"""A real HTTP server on this computer that receives webhooks, answering each POST with the next scripted status."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa_site.webhooks import services
from qa_site.webhooks.models import Event
from subscriptions.models import Membership
from tests.factories import MembershipFactory, UserFactory


class Receiver:
    """What the server was sent (``requests``: headers with lower-case names, and the raw body), and the statuses it
    answers with, in order (``statuses``; 200 once they run out, or ``always`` when set)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.always = None
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ask"

    def answer(self):
        with self.lock:
            if self.always is not None:
                return self.always
            return self.statuses.pop(0) if self.statuses else 200

    def events(self):
        import json

        return [json.loads(request["body"])["type"] for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 -- the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver = self.server.receiver
        with receiver.lock:
            receiver.requests.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
        self.send_response(receiver.answer())
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.receiver = receiver
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def walter(westvale):
    """Westvale's network admin: an admin, but of another network."""
    user = UserFactory(email="walter@example.test", first_name="Walter")
    MembershipFactory(network=westvale, user=user, role=Membership.Role.ADMIN)
    return user


ALL_EVENTS = [value for value, _label in Event.choices]


@pytest.fixture
def make_endpoint(receiver):
    def make(network, actor, *, events=ALL_EVENTS, topic_ids=(), url=None, description=""):
        return services.endpoint_create(
            network=network,
            actor=actor,
            url=url or receiver.url,
            description=description,
            events=events,
            topic_ids=topic_ids,
        )

    return make
