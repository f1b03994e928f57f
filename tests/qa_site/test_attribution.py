"""An imported answer's page credits the original in its schema.org data too."""

import json
import re

from tests.factories import make_published_page
from tests.imports.imported import make_imported_page


def structured_data(response):
    [script] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(script)


def test_the_structured_data_of_an_imported_answer_names_the_original_its_authors_and_licence(
    client, topic, alice, erin
):
    page = make_imported_page(topic)
    ours = make_published_page(topic=topic, title="Written here", expert=erin)
    licence = "https://creativecommons.org/licenses/by-sa/4.0/"
    question = structured_data(client.get(page.url))["mainEntity"]  # a teaser reader: the question's credit
    assert question["isBasedOn"] == "https://law.stackexchange.com/q/1"
    assert question["license"] == licence
    assert question["author"] == {
        "@type": "Person",
        "name": "Quentin Asker",
        "url": "https://law.stackexchange.com/users/10",
    }
    client.force_login(alice)
    answer = structured_data(client.get(page.url))["mainEntity"]["acceptedAnswer"]
    assert answer["author"] == {
        "@type": "Person",
        "name": "Ada Answerer",
        "url": "https://law.stackexchange.com/users/20",
    }
    assert answer["license"] == licence
    written_here = structured_data(client.get(ours.url))["mainEntity"]
    assert "isBasedOn" not in written_here
    assert "license" not in written_here["acceptedAnswer"]
    assert written_here["acceptedAnswer"]["author"]["name"] == erin.display_name
