"""With ELASTICSEARCH_URL set, answers are indexed into Elasticsearch and the search page reads from it.

Runs against osmem-server, an in-memory OpenSearch-compatible server from PyPI (no Elasticsearch can be
installed here); the project's PlainJSONNode makes the official client speak plain JSON to it.
"""

import io
import uuid

import pytest
from django.core.management import call_command
from wagtail.search.backends import get_search_backend

from qa_site.knowledge.models import QuestionPage
from search.transport import PlainJSONNode, plain_content_type
from tests.factories import make_published_page


@pytest.fixture
def elasticsearch(db, site_tree, osmem_url, settings):
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.elasticsearch8",
            "URLS": [osmem_url],
            "INDEX": f"test-{uuid.uuid4().hex[:8]}",
            "TIMEOUT": 5,
            "OPTIONS": {"node_class": PlainJSONNode},
        }
    }
    # As at deployment: build the index (mappings for every indexed model) before answers are published;
    # the answers below then reach it through the publish signals, as they do in production.
    call_command("update_index", stdout=io.StringIO())
    return get_search_backend().get_index_for_model(QuestionPage)


def test_compatibility_content_types_become_plain():
    assert plain_content_type("application/vnd.elasticsearch+json; compatible-with=8") == "application/json"
    assert plain_content_type("application/vnd.elasticsearch+x-ndjson; compatible-with=8") == "application/x-ndjson"
    assert plain_content_type("text/plain") == "text/plain"


def test_published_answers_are_indexed_and_searched_with_the_access_rules(
    client, elasticsearch, topic, northshire, erin, alice
):
    make_published_page(
        topic=topic,
        title="Volunteer mileage rates",
        expert=erin,
        answer="Volunteer drivers may be paid the approved mileage rate without tax. " * 3,
    )
    make_published_page(
        topic=topic,
        title="Northshire volunteer handbook",
        visibility="network",
        network=northshire,
        expert=erin,
        answer="The handbook covers volunteer mileage. " * 3,
    )
    make_published_page(topic=topic, title="Registering a CIO", answer="Use the online form to register. " * 3)
    elasticsearch.refresh()

    body = client.get("/search/", {"q": "volunteer mileage"}).content.decode()
    assert "Volunteer mileage rates" in body
    assert "Northshire volunteer handbook" not in body
    assert "Registering a CIO" not in body

    client.force_login(alice)
    body = client.get("/search/", {"q": "volunteer mileage"}).content.decode()
    assert "Northshire volunteer handbook" in body
    assert client.get("/search/", {"q": '"unbalanced (quote'}).status_code == 200
