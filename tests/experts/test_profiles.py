"""The panel in public: expert profiles, the panel index, and links to them from the knowledge base."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts import services as panel
from experts.models import RESERVED_SLUGS, ExpertApplication, ExpertProfile
from qa_site.knowledge import generation
from tests.factories import UserFactory, make_expert, make_image, make_published_page, make_topic

Status = ExpertProfile.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def priya(topic, other_topic):
    """An expert with every profile field filled in, on two topics."""
    profile = make_expert(
        topics=[topic, other_topic],
        user=UserFactory(email="priya@example.test", first_name="Priya", last_name="Shah"),
        organisation="Shah Charity Law",
        bio="Priya advises trustees on governance.\n\nShe was a trustee of a village hall.",
    )
    ExpertProfile.objects.filter(pk=profile.pk).update(slug="priya-shah", headline="Charity solicitor since 2004")
    profile.refresh_from_db()
    return profile


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def text(response, selector):
    return [node.get_text(" ", strip=True) for node in soup(response).select(selector)]


def answer_titles(response):
    return [a.get_text(strip=True) for a in soup(response).select(".answer-list a.title")]


# --- The profile page ---------------------------------------------------------------------------------------------


def test_profile_shows_who_the_expert_is_and_links_their_topics(client, priya, topic, other_topic):
    response = client.get("/experts/priya-shah/")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Priya Shah"
    assert text(response, ".profile-head .headline") == ["Charity solicitor since 2004"]
    assert text(response, ".profile-head .meta") == ["Shah Charity Law"]
    assert [p.get_text(strip=True) for p in page.select("section.card p")] == [
        "Priya advises trustees on governance.",
        "She was a trustee of a village hall.",
    ]
    assert [(a.get_text(strip=True), a["href"]) for a in page.select('[data-testid="topics"] a')] == [
        ("Charity law", topic.url),
        ("Rural transport", other_topic.url),
    ]
    assert text(response, '[data-testid="availability"]') == ["Accepting questions"]
    assert text(response, '[data-testid="initials"]') == ["PS"]
    assert page.select(".profile-head img") == []
    assert text(response, '[data-testid="retired"]') == []


def test_profile_shows_the_photo_as_a_160_pixel_square_rendition(client, priya):
    priya.photo = make_image(size=(400, 300))
    priya.save()
    response = client.get("/experts/priya-shah/")
    images = soup(response).select(".profile-head img.portrait")
    assert len(images) == 1
    assert (images[0]["width"], images[0]["height"]) == ("160", "160")
    assert images[0]["src"].endswith(".fill-160x160.png")
    assert images[0]["src"].startswith("/media/images/")
    assert text(response, '[data-testid="initials"]') == []


def test_profile_of_an_unknown_slug_is_not_found(client, site_tree):
    assert client.get("/experts/no-such-expert/").status_code == 404


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"away_from": 0, "away_until": 7}, "Away until {until}"),
        ({"away_from": -3, "away_until": None}, "Away"),
        ({"away_from": 2, "away_until": 9}, "Accepting questions"),  # not away yet
        ({"away_from": -9, "away_until": -2}, "Accepting questions"),  # back
        ({"accepting_new": False}, "Not taking new questions just now"),
        ({"status": Status.PAUSED}, "Not taking new questions just now"),
        ({"status": Status.RETIRED}, "No longer on the panel"),
    ],
)
def test_profile_says_whether_the_expert_takes_questions_now(client, priya, changes, label):
    today = timezone.localdate()
    for field in ("away_from", "away_until"):
        if field in changes and changes[field] is not None:
            changes[field] = today + dt.timedelta(days=changes[field])
    ExpertProfile.objects.filter(pk=priya.pk).update(**changes)
    until = changes.get("away_until")
    expected = label.format(until=f"{until.day} {until:%B %Y}" if until else "")
    response = client.get("/experts/priya-shah/")
    assert text(response, '[data-testid="availability"]') == [expected]


def test_profile_lists_the_answers_the_visitor_may_see_with_a_published_count(
    client, priya, topic, northshire, westvale, alice, bob
):
    user = priya.user
    make_published_page(topic=topic, title="Public answer by Priya", expert=user)
    make_published_page(
        topic=topic, title="Northshire answer by Priya", visibility="network", network=northshire, expert=user
    )
    make_published_page(topic=topic, title="Someone else's answer", expert=make_expert(topics=[topic]).user)
    path = "/experts/priya-shah/"

    anonymous = client.get(path)
    assert answer_titles(anonymous) == ["Public answer by Priya"]
    assert text(anonymous, '[data-testid="published-count"]') == ["2"]

    client.force_login(alice)
    assert answer_titles(client.get(path)) == ["Northshire answer by Priya", "Public answer by Priya"]
    client.force_login(bob)
    assert answer_titles(client.get(path)) == ["Public answer by Priya"]
    client.force_login(user)  # the expert who wrote it sees their network answer
    assert answer_titles(client.get(path)) == ["Northshire answer by Priya", "Public answer by Priya"]


def test_profile_answers_are_paginated(client, priya, topic):
    for number in range(21):
        make_published_page(topic=topic, title=f"Answer {number:02d}", expert=priya.user)
    first = client.get("/experts/priya-shah/")
    assert answer_titles(first) == [f"Answer {number:02d}" for number in range(20, 0, -1)]
    assert text(first, ".pagination span") == ["Page 1 of 2"]
    assert answer_titles(client.get("/experts/priya-shah/?page=2")) == ["Answer 00"]


def test_retired_expert_keeps_a_profile_with_their_answers_marked_as_off_the_panel(client, priya, topic):
    make_published_page(topic=topic, title="Answer from before", expert=priya.user)
    panel.expert_set_status(profile_id=priya.pk, status=Status.RETIRED, actor=None)
    response = client.get("/experts/priya-shah/")
    assert response.status_code == 200
    assert text(response, '[data-testid="availability"]') == ["No longer on the panel"]
    assert text(response, '[data-testid="retired"]') == [
        "Priya Shah is no longer on our panel and does not take new questions. "
        "The answers they gave stay in the knowledge base."
    ]
    assert answer_titles(response) == ["Answer from before"]


def test_profile_query_count_does_not_grow_with_answers_or_topics(client, priya, topic, alice):
    priya.photo = make_image()
    priya.save()
    client.force_login(alice)
    make_published_page(topic=topic, title="Answer 0", expert=priya.user)
    client.get("/experts/priya-shah/")  # warm caches and make the rendition
    generation.renew()  # rendered afresh, not served from the page cache
    with CaptureQueriesContext(connection) as few:
        client.get("/experts/priya-shah/")
    for number in range(1, 8):
        make_published_page(topic=topic, title=f"Answer {number}", expert=priya.user)
    priya.topics.add(make_topic("Employment"), make_topic("Funding"))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/experts/priya-shah/")
    assert len(answer_titles(response)) == 8
    assert len(many) == len(few)


# --- Slugs never collide with the pages' own addresses --------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
def test_profile_slug_may_not_be_a_word_the_expert_pages_use(priya, slug):
    priya.slug = slug
    with pytest.raises(ValidationError) as error:
        priya.full_clean()
    assert error.value.message_dict == {"slug": [f"“{slug}” is used by the site's own pages; choose another."]}


@pytest.mark.parametrize("word", ["Dashboard", "Settings", "Apply", "Questions", "Statements"])
def test_approving_an_applicant_never_gives_a_reserved_slug(colin, topic, word):
    applicant = UserFactory(first_name=word, last_name="")
    application = ExpertApplication.objects.create(
        user=applicant, headline="Adviser", bio="About me.", experience="Years of it."
    )
    application.topics.set([topic])
    profile = panel.application_approve(application_id=application.pk, actor=colin)
    assert profile.slug == f"{word.lower()}-2"


def test_pages_with_fixed_addresses_win_over_profiles(client, site_tree):
    for path in ("/experts/dashboard/", "/experts/settings/", "/experts/apply/"):
        response = client.get(path)
        assert (response.status_code, response.url) == (302, f"/accounts/login/?next={path}")


# --- The panel index ----------------------------------------------------------------------------------------------


def test_panel_index_lists_experts_on_the_panel_by_topic(client, priya, topic, other_topic, erin):
    paused = make_expert(
        topics=[other_topic], user=UserFactory(first_name="Paula", last_name="Paused"), status=Status.PAUSED
    )
    make_expert(topics=[topic], user=UserFactory(first_name="Rex", last_name="Retired"), status=Status.RETIRED)
    make_expert(topics=[], user=UserFactory(first_name="Nora", last_name="Notopic"))
    response = client.get("/experts/")
    assert response.status_code == 200
    sections = soup(response).select('[data-testid="panel-topic"]')
    listing = [
        (section.h2.contents[0].get_text(strip=True), [a.get_text(strip=True) for a in section.select("h3 a")])
        for section in sections
    ]
    assert listing == [
        (
            "Charity law",
            [u.display_name for u in sorted([erin, priya.user], key=lambda u: (u.last_name, u.first_name))],
        ),
        ("Rural transport", ["Paula Paused", "Priya Shah"]),
        ("Other experts", ["Nora Notopic"]),
    ]
    assert sections[0].h2.a["href"] == topic.url
    assert soup(response).find("a", string="Priya Shah")["href"] == "/experts/priya-shah/"
    badges = {
        card.select_one("h3 a").get_text(strip=True): card.select_one(".badge").get_text(strip=True)
        for card in sections[1].select(".expert-card")
    }
    assert badges == {"Paula Paused": "Not taking new questions just now", "Priya Shah": "Accepting questions"}
    assert paused.slug in response.content.decode()
    assert "Rex Retired" not in response.content.decode()


def test_panel_index_query_count_does_not_grow_with_the_panel(client, topic, other_topic):
    def add(count):
        for _ in range(count):
            make_expert(topics=[topic, other_topic], photo=make_image())

    add(1)
    client.get("/experts/")  # make the renditions
    with CaptureQueriesContext(connection) as few:
        client.get("/experts/")
    add(6)
    client.get("/experts/")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/experts/")
    assert len(soup(response).select(".expert-card img.portrait-small")) == 14
    assert len(many) == len(few)


# --- Links from the knowledge base and the header -----------------------------------------------------------------


def test_answer_page_links_the_experts_name_to_their_profile(client, priya, topic, alice):
    page = make_published_page(topic=topic, title="Answer by Priya", expert=priya.user)
    for who in (None, alice):  # the teaser and the full answer
        if who:
            client.force_login(who)
        links = soup(client.get(page.url)).select('article a[href="/experts/priya-shah/"]')
        assert [link.get_text(strip=True) for link in links] == ["Priya Shah"]


def test_answer_by_someone_without_a_profile_names_them_without_a_link(client, topic, alice):
    author = UserFactory(first_name="Olive", last_name="Oldhand")
    page = make_published_page(topic=topic, title="An old answer", expert=author)
    client.force_login(alice)
    response = client.get(page.url)
    assert "Olive Oldhand" in response.content.decode()
    assert soup(response).select('article a[href^="/experts/"]') == []


def test_topic_listing_links_each_experts_name(client, priya, topic):
    make_published_page(topic=topic, title="Answer by Priya", expert=priya.user)
    links = soup(client.get(topic.url)).select('.answer-list .meta a[href="/experts/priya-shah/"]')
    assert [link.get_text(strip=True) for link in links] == ["Priya Shah"]


def test_answer_page_query_count_is_the_same_with_or_without_a_profile(client, priya, topic, alice):
    client.force_login(alice)
    with_profile = make_published_page(topic=topic, title="Answer by Priya", expert=priya.user)
    without = make_published_page(topic=topic, title="Answer by nobody", expert=UserFactory())
    client.get(with_profile.url)  # warm caches, and count each first read of the day (one write each)
    client.get(without.url)
    with CaptureQueriesContext(connection) as first:
        client.get(with_profile.url)
    with CaptureQueriesContext(connection) as second:
        client.get(without.url)
    assert len(first) == len(second)


def test_header_links_the_panel_for_everyone_and_the_dashboard_for_experts(client, erin, alice):
    def nav(response):
        return [a.get_text(strip=True) for a in soup(response).select("nav .nav a")]

    assert "Experts" in nav(client.get("/experts/"))
    assert "Expert dashboard" not in nav(client.get("/experts/"))
    client.force_login(alice)
    assert "Expert dashboard" not in nav(client.get("/experts/"))
    client.force_login(erin)
    assert {"Experts", "Expert dashboard"} <= set(nav(client.get("/experts/")))
