import pytest
from django.test import Client

from qa_site.api import tokens


def make_token(user, scopes=("read", "ask", "report"), name="Test client"):
    return tokens.token_create(user=user, name=name, scopes=scopes)[1]


class ApiClient:
    """Django's test client with a bearer token on every request, speaking JSON."""

    def __init__(self, token=None):
        self.client = Client()
        self.client.raise_request_exception = False
        self.token = token

    def _headers(self, headers):
        found = dict(headers or {})
        if self.token is not None:
            found.setdefault("Authorization", f"Bearer {self.token}")
        return found

    def get(self, path, data=None, headers=None):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path, body=None, *, raw=None, content_type="application/json", headers=None):
        payload = raw if raw is not None else (__import__("json").dumps(body) if body is not None else "")
        return self.client.post(path, payload, content_type=content_type, headers=self._headers(headers))

    def request(self, method, path, **kwargs):
        return getattr(self.client, method.lower())(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def api_for():
    def build(user, scopes=("read", "ask", "report")):
        return ApiClient(make_token(user, scopes) if user is not None else None)

    return build
