"""Feeds rendered once per publication generation and answered from the cache, with ETag and Last-Modified.

A feed's bytes are kept under ``feeds:<generation>:<digest of site address and feed identity>`` in the
generation's two-level cache (``generation.get``/``generation.put``: the process's memory in front of Django's
cache). The generation changes after every publish, unpublish, move, delete or save of an answer, every change of
a topic page or an expert profile, and every bulk import (``generation.connect``), so the next request after any of
them renders afresh. A cached request reads no database row and, mostly, not even Redis; the ETag is the
generation plus the digest, so it is known without the bytes. Last-Modified is when the bytes were rendered:
never earlier than the last change they show, so If-Modified-Since can never hide a change.
"""

import hashlib
import time

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.utils.http import http_date

from qa_site.knowledge import generation

# Old generations' entries are never read again; they expire, or Redis/locmem evicts them first. The timeout
# also bounds how long a change that sends no signal (an expert's name) can take to show.
FEED_CACHE_SECONDS = 24 * 60 * 60
PUBLIC = {"public": True, "max_age": 300}
PRIVATE = {"private": True, "max_age": 300}


def cached_feed(request, *, identity, render, cache_control):
    """The response for the feed named ``identity``, rendered by ``render()`` -> (bytes, content type) on a miss.

    ``identity`` must name everything the bytes depend on besides the published answers and the site's
    address (format, topic, key and what the key's plan allows). ``render`` may raise Http404.
    """
    token = generation.current()
    digest = hashlib.sha256(f"{request.scheme}://{request.get_host()}|{identity}".encode()).hexdigest()[:32]
    key = f"feeds:{token}:{digest}"
    entry = generation.get(key)
    if entry is None:
        rendered_at = int(time.time())
        body, content_type = render()
        entry = (body, content_type, rendered_at)
        generation.put(key, entry, FEED_CACHE_SECONDS)
    body, content_type, rendered_at = entry
    etag = quote_etag(f"{token}-{digest}")
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(rendered_at)
    patch_cache_control(response, **cache_control)
    return get_conditional_response(request, etag=etag, last_modified=rendered_at, response=response)
