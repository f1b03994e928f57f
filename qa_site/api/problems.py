"""Errors as RFC 9457 problem details (``application/problem+json``): ``type``, ``title``, ``status``, ``detail``,
and, for input that was not right, ``errors`` (one ``{"field", "detail"}`` per problem)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

PROBLEM_TYPE = "tag:ask-an-expert,2026:api/problem/{}"  # documented in docs/api.md; not meant to be fetched

TITLES = {
    400: ("bad-request", "The request could not be understood"),
    401: ("unauthenticated", "A valid API token is needed"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Not possible in the current state"),
    422: ("invalid", "Some of what was sent is not right"),
    429: ("rate-limited", "Too many requests"),
}


class Problem(Exception):
    """Raised anywhere in an endpoint: answered as a problem document."""

    def __init__(self, status, detail, *, errors=None, headers=None, kind=None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers, self.kind = status, detail, errors, headers or {}, kind


def problem_response(status, detail, *, errors=None, headers=None, kind=None):
    slug, title = TITLES.get(status, ("error", "Error"))
    body = {"type": PROBLEM_TYPE.format(kind or slug), "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def from_problem(problem: Problem):
    return problem_response(
        problem.status, problem.detail, errors=problem.errors, headers=problem.headers, kind=problem.kind
    )


def _field_name(loc):
    """A pydantic location (``("body", "payload", "title")``, ``("query", "cursor")``) as the field's name."""
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "payload")]
    return parts[0] if parts else "body"  # (pydantic adds the type it tried after a field of several types)


def validation_errors(errors):
    """ninja's (pydantic's) errors as ``[{"field", "detail"}]``, in plain words."""
    found = {}
    for error in errors:
        field = _field_name(error.get("loc", ()))
        found.setdefault(field, {"field": field, "detail": str(error.get("msg", "Not valid"))})
    return list(found.values())


def form_errors(form):
    """A Django form's errors as ``[{"field", "detail"}]`` (errors of the whole form under "body")."""
    return [
        {"field": "body" if name == "__all__" else name, "detail": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]
