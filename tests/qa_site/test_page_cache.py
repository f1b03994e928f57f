"""Reader pages rendered once per publication and audience (qa_site/knowledge/pagecache.py).

What readers must be able to rely on: a cached page is the same page they would have been given afresh; nobody
ever receives another audience's page or another reader's personal parts; a publication shows at once; and
serving from the cache costs (next to) no queries, however many answers there are.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds.models import Follow
from qa_site.knowledge import generation, services
from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from search import querylog
from search.models import SearchQueryLog
from subscriptions.models import UsageCount
from tests.factories import MembershipFactory, make_answers_for_each_audience, make_published_page


def get(client, path, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    return response, len(ctx.captured_queries)


@pytest.fixture
def answers(topic, northshire, westvale, erin, run_on_commit):
    with run_on_commit():  # indexed for search after commit
        return make_answers_for_each_audience(topic=topic, northshire=northshire, westvale=westvale, expert=erin)


def reader_pages(topic, page):
    profile = f"/experts/{page.expert.expert_profile.slug}/"
    return ["/", "/topics/", topic.url, page.url, "/experts/", profile, "/search/?q=answer"]


def test_readers_of_different_networks_never_receive_each_others_pages(client, answers, topic, alice, bob, erin):
    alices, bobs = Client(), Client()
    alices.force_login(alice)
    bobs.force_login(bob)
    profile = erin.expert_profile.slug
    for path in ["/", topic.url, f"/experts/{profile}/", "/search/?q=answer"]:
        for _round in range(2):  # rendered, then from the cache: each reader's own both times
            body = alices.get(path).content.decode()
            assert "Northshire-only" in body, path
            assert "Westvale-only" not in body, path
            assert "Alice" in body, path
            assert "Bob" not in body, path
            body = bobs.get(path).content.decode()
            assert "Westvale-only" in body, path
            assert "Northshire-only" not in body, path
            assert "Bob" in body, path
            assert "Alice" not in body, path
            body = client.get(path).content.decode()  # anonymous: public answers only, and no one's name
            assert "-only" not in body, path
            assert "Alice" not in body, path
            assert "Bob" not in body, path
            assert "Sign in" in body, path
    assert alices.get(answers["westvale"].url).status_code == 403
    assert bobs.get(answers["westvale"].url).status_code == 200


def test_personal_parts_are_each_readers_own(answers, alice, northshire):
    page = answers["public"]
    nina = MembershipFactory(network=northshire).user  # same network as Alice: the same audience
    services.answer_rate(question_id=page.question_id, user=alice, stars=2, comment="")
    services.answer_vote_helpful(page_id=page.pk, user=alice, helpful=False)
    alices, ninas = Client(), Client()
    alices.force_login(alice)
    ninas.force_login(nina)
    first = alices.get(page.url).content.decode()
    assert "You rated this answer 2 out of 5" in first
    assert "You said this did not help" in first
    second = ninas.get(page.url).content.decode()  # from the cache Alice's visit filled
    assert "You rated this answer" not in second
    assert "You said this" not in second
    assert nina.display_name in second
    assert alice.display_name not in second
    assert "Rated 2.0 out of 5 by 1 reader" in second  # the summary is everyone's, and up to date
    services.answer_rate(question_id=page.question_id, user=nina, stars=4, comment="")
    again = ninas.get(page.url).content.decode()
    assert "You rated this answer 4 out of 5" in again
    assert "by 2 readers" in again


def test_a_subscribers_answer_page_from_the_cache_reads_the_database_once(answers, alice):
    """Her session, her user and all of her own parts of the page (her vote, her rating, her follow, the rating
    summary) in one query, once the process has seen her session and her page: on PostgreSQL each query is a round
    trip to another process."""
    page = answers["public"]
    services.answer_rate(question_id=page.question_id, user=alice, stars=3, comment="Clear")
    services.answer_vote_helpful(page_id=page.pk, user=alice, helpful=True)
    Follow.objects.create(user=alice, question_page=page, frequency=Follow.Frequency.WEEKLY)
    reader = Client()
    reader.force_login(alice)
    reader.get(page.url)  # rendered for her audience; her process learns whose the session is
    reader.get(page.url)  # … and what her page at this address looks up
    response, queries = get(reader, page.url)
    body = response.content.decode()
    assert "You rated this answer 3 out of 5" in body
    assert "You said this helped" in body
    assert "You follow this (weekly digest, on mondays)" in body
    assert "Rated 3.0 out of 5 by 1 reader" in body
    assert queries == 1
    Follow.objects.filter(user=alice).delete()
    services.answer_vote_helpful(page_id=page.pk, user=alice, helpful=False)
    response, queries = get(reader, page.url)  # her own parts are read afresh on every view
    body = response.content.decode()
    assert "You said this did not help" in body
    assert "Follow this answer" in body
    assert queries == 1
    nina = MembershipFactory(network=alice.memberships.first().network).user  # same audience, same address
    ninas = Client()
    ninas.force_login(nina)
    for _view in range(3):
        body = ninas.get(page.url).content.decode()
        assert "You said this" not in body  # never Alice's parts
        assert "You rated this answer" not in body
        assert "Follow this answer" in body


def test_a_session_read_with_its_user_still_ends_at_once(answers, alice):
    page = answers["public"]
    reader = Client()
    reader.force_login(alice)
    for _view in range(2):
        assert alice.display_name in reader.get(page.url).content.decode()
    User = type(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)  # by a coordinator, in another process
    assert alice.display_name not in reader.get(page.url).content.decode()
    User.objects.filter(pk=alice.pk).update(is_active=True)
    assert alice.display_name in reader.get(page.url).content.decode()
    reader.logout()
    assert alice.display_name not in reader.get(page.url).content.decode()


def test_a_publication_shows_at_once(client, answers, topic, alice, erin):
    client.force_login(alice)
    for path in ["/", topic.url, "/topics/"]:
        client.get(path)
    make_published_page(topic=topic, title="A brand new answer about VAT", expert=erin)
    assert "A brand new answer about VAT" in client.get("/").content.decode()
    assert "A brand new answer about VAT" in client.get(topic.url).content.decode()
    assert "3 answers" in client.get("/topics/").content.decode()  # two public, one Northshire-only


def test_anonymous_pages_come_from_the_cache_with_no_query(client, answers, topic):
    for path in reader_pages(topic, answers["public"]):
        first, _queries = get(client, path)
        assert first.status_code == 200, path
        cached, queries = get(client, path)
        assert queries == 0, path
        assert cached.content == first.content, path
        assert cached["ETag"], path
        assert cached["Last-Modified"], path
        assert "Cookie" in cached["Vary"], path
        assert cached["X-Frame-Options"] == "DENY", path
        assert "default-src" in cached["Content-Security-Policy"], path
        not_modified, _queries = get(client, path, HTTP_IF_NONE_MATCH=cached["ETag"])
        assert not_modified.status_code == 304, path


def test_signed_in_readers_conditional_requests(client, answers, alice):
    client.force_login(alice)
    page = answers["public"].url
    first = client.get(page)
    assert first["Cache-Control"] == "private, no-cache"
    assert client.get(page, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    services.answer_rate(question_id=answers["public"].question_id, user=alice, stars=5, comment="")
    assert client.get(page, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200  # her part of the page changed


def test_coordinators_pages_are_never_served_from_the_cache(client, answers, topic, colin):
    client.force_login(colin)
    for _round in range(2):
        body = client.get(topic.url).content.decode()
        assert "Northshire-only answer" in body
        assert "Westvale-only answer" in body


def test_answers_read_and_searches_are_counted_on_every_view_from_the_cache(client, answers, alice, northshire):
    client.force_login(alice)
    page = answers["public"]
    for _view in range(2):
        client.get(page.url)
    reads = UsageCount.objects.filter(network=northshire, kind=UsageCount.Kind.ANSWER_READ)
    assert sum(reads.values_list("count", flat=True)) == 1  # once per reader, answer and day, as before
    client.logout()
    for _search in range(3):
        client.get("/search/?q=trustees")
    querylog.flush()
    assert SearchQueryLog.objects.get(query="trustees").count == 3


def test_pages_with_other_query_parameters_are_rendered_afresh(client, answers, topic):
    client.get(f"{topic.url}?utm_source=newsletter")
    _response, queries = get(client, f"{topic.url}?utm_source=newsletter")
    assert queries > 0


def test_a_subscription_that_ends_takes_the_full_answers_away(client, answers, alice, northshire):
    client.force_login(alice)
    page = answers["public"].url
    assert 'data-testid="full-answer"' in client.get(page).content.decode()
    subscription = northshire.subscriptions.get()
    subscription.ends_on = subscription.access_until = timezone.localdate() - dt.timedelta(days=1)
    subscription.starts_on = min(subscription.starts_on, subscription.ends_on)
    subscription.status = subscription.Status.EXPIRED
    subscription.save()
    body = client.get(page).content.decode()
    assert 'data-testid="teaser"' in body
    assert 'data-testid="full-answer"' not in body


def _bulk(topic, network, expert, count, start):
    items = [
        BulkQuestion(
            topic=topic,
            title=f"Bulk answer {n} about trustees",
            question_text="A question about trustees.",
            answer=f"Advice number {n} for trustees.",
            expert=expert,
            visibility="network" if n % 5 == 0 else "public",
            network=network if n % 5 == 0 else None,
        )
        for n in range(start, start + count)
    ]
    bulk_create_question_pages(items)


def test_queries_per_page_do_not_grow_with_the_knowledge_base(client, answers, topic, alice, erin, northshire):
    """Rendered afresh and served from the cache, for a member and for an anonymous reader, at 3 and 1,003 answers
    (bench/serve.py counts them at 10,000 and 100,000)."""
    member = Client()
    member.force_login(alice)
    paths = reader_pages(topic, answers["public"])

    def measure():
        counts = {}
        for who, reader in (("member", member), ("anonymous", client)):
            for path in paths:
                reader.get(path)  # warm Wagtail's own caches (site root, content types)
                generation.renew()
                generation.reset()
                rendered = get(reader, path)
                cached = get(reader, path)
                assert rendered[0].status_code == cached[0].status_code == 200, path
                counts[who, path] = (rendered[1], cached[1])
        return counts

    few = measure()
    _bulk(topic, northshire, erin, 1000, start=0)
    many = measure()
    assert many == few
    assert all(cached == 0 for (who, _path), (_rendered, cached) in few.items() if who == "anonymous")
    assert max(cached for (_rendered, cached) in few.values()) <= 6, few


def test_a_page_is_cut_at_its_fragments_wherever_and_however_often_they_were_output():
    from django.http import HttpResponse

    from qa_site.knowledge.pagecache import _Recorder

    recorder = _Recorder()
    for name in ("nav", "account", "messages"):
        recorder.fragments.append((name, {}))
    marker = f"<!--{recorder.nonce}:" + "{}-->"
    page = f"<h1>{marker.format(2)}</h1><p>{marker.format(0)}</p><!--other:1-->"  # "account" was never output
    entry = recorder.entry(HttpResponse(page))
    assert entry.fragments == [("messages", {}), ("nav", {})]
    assert entry.chunks == ["<h1>", "</h1><p>", "</p><!--other:1-->"]


def test_forms_on_a_page_from_the_cache_carry_each_readers_own_working_token(answers, alice, northshire):
    """Fragments are kept rendered in the process with a stand-in for the CSRF token: each reader must get their own,
    and it must work."""
    import re

    from django.conf import settings

    from feeds.models import Follow
    from qa_site.knowledge import pagecache
    from qa_site.knowledge.models import HelpfulVote

    page = answers["public"]
    nina = MembershipFactory(network=northshire).user
    for reader in (alice, nina, alice):  # rendered, then Nina's and Alice's again from what was kept
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(reader)
        body = browser.get(page.url).content.decode()
        assert pagecache.CSRF_STAND_IN not in body
        (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
        assert settings.CSRF_COOKIE_NAME in browser.cookies  # the token is backed by this reader's own cookie
        response = browser.post(f"/answers/{page.pk}/helpful/", {"helpful": "yes", "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.status_code
        response = browser.post("/alerts/follow/", {"page": page.pk, "next": page.url, "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.status_code
    assert HelpfulVote.objects.filter(page_id=page.pk, helpful=True).count() == 2
    assert set(Follow.objects.filter(question_page=page).values_list("user_id", flat=True)) == {alice.pk, nina.pk}
