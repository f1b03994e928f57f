"""``/api/v1/``: the API's operations, each wrapped so that every answer is as docs/api.md promises — a method the
address does not take and an address that is not there are problem documents too, and a successful GET carries an
``ETag`` and answers ``If-None-Match`` with 304."""

import functools
import hashlib

from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from .api import api
from .problems import problem_response


def _etag(content):
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _matches(header, etag):
    """Does an If-None-Match header name ``etag`` (weak or strong, in a list, or ``*``)?"""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def as_api_response(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = problem_response(405, f"This address takes {allowed}, not {request.method}.")
            response["Allow"] = allowed
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.streaming:
            etag = _etag(response.content)
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
            patch_vary_headers(response, ["Authorization"])
            if _matches(request.headers.get("If-None-Match", ""), etag):
                not_modified = HttpResponse(status=304)
                for header in ("ETag", "Cache-Control", "Vary", "Link"):
                    if header in response:
                        not_modified[header] = response[header]
                return not_modified
        return response

    return wrapped


@csrf_exempt
def not_found(request, rest=""):
    return problem_response(404, "There is no such address in version 1 of the API: see /api/v1/docs.")


def _wrapped(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = as_api_response(pattern.callback)
    return patterns


_patterns, _app_name, _namespace = api.urls
urlpatterns = [*_wrapped(_patterns), re_path(r"^(?P<rest>.*)$", not_found)]
app_name = _namespace
