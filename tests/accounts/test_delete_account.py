"""Delete my account: anonymise rather than lose; refuse (changing nothing) where others rely on the account."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from experts import stats
from experts.models import ExpertProfile
from qa_site.accounts import services as account_services
from qa_site.accounts.forms import DeleteAccountForm
from qa_site.knowledge import services
from qa_site.knowledge.models import AnswerRating, Question, QuestionEvent, QuestionPage
from subscriptions.models import Invitation, Membership
from tests.conftest import clear_cache
from tests.factories import PASSWORD, MembershipFactory, UserFactory, ask, make_published_page

from .conftest import ANSWER, take_through_to_published

User = get_user_model()
URL = "/account/delete/"
CONFIRM = {"password": PASSWORD, "confirmation": "delete my account"}


def post(client, user, data=CONFIRM):
    client.force_login(user)
    return client.post(URL, data)


def messages_in(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def snapshot():
    """Everything an account deletion could change, to prove a refused one changed nothing."""
    return {
        "users": sorted(User.objects.values_list("pk", "email", "is_active")),
        "addresses": sorted(EmailAddress.objects.values_list("user_id", "email", "verified", "primary")),
        "memberships": sorted(Membership.objects.values_list("user_id", "network_id", "role")),
        "askers": sorted(Question.objects.values_list("pk", "asker_id")),
        "ratings": sorted(AnswerRating.objects.values_list("pk", "user_id", "stars")),
        "invitations": sorted(Invitation.objects.values_list("pk", "revoked_at", "accepted_by_id")),
        "events": sorted(QuestionEvent.objects.values_list("pk", "actor_id")),
        "experts": sorted(ExpertProfile.objects.values_list("pk", "user_id", "status")),
        "authenticators": sorted(Authenticator.objects.values_list("pk", "user_id")),
        "pages": sorted(QuestionPage.objects.values_list("pk", "live", "expert_id", "answer")),
    }


def seats_in_use(network):
    return network.memberships.count() + Invitation.objects.filter(network=network).pending().count()


def invite(network, email, **fields):
    now = timezone.now()
    return Invitation.objects.create(network=network, email=email, expires_at=now + dt.timedelta(days=14), **fields)


@pytest.fixture
def history(run_on_commit, published, alice, bob, nadia, northshire, westvale, topic, erin, colin):
    """Alice's record: a published public question (rated by Bob), a private answered one, her rating of
    another answer, a second address, an invitation she accepted and one waiting for her elsewhere."""
    private = take_through_to_published(
        run_on_commit,
        asker=alice,
        network=northshire,
        topic=topic,
        expert=erin,
        coordinator=colin,
        visibility="private",
        title="A private question about our lease",
    )
    services.answer_rate(question_id=published.pk, user=bob, stars=5)
    services.answer_rate(question_id=published.pk, user=alice, stars=4, comment="Thank you.")
    other = make_published_page(topic=topic, title="How do we register?", expert=erin)
    services.answer_rate(question_id=other.question_id, user=alice, stars=3)
    EmailAddress.objects.create(user=alice, email="Alice.Home@example.test", verified=True, primary=False)
    accepted = invite(northshire, "alice@example.test", accepted_at=timezone.now(), accepted_by=alice)
    waiting = invite(westvale, "alice.home@example.test", invited_by=bob)
    unrelated = invite(westvale, "someone.else@example.test")
    return {
        "published": published,
        "private": private,
        "other": other,
        "accepted": accepted,
        "waiting": waiting,
        "unrelated": unrelated,
    }


# --- what happens ------------------------------------------------------------------------------------------------


def test_it_is_for_signed_in_people_only(client, site_tree):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    assert client.post(URL, CONFIRM)["Location"].startswith("/accounts/login/")


def test_the_page_says_what_will_happen(client, history, alice):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    body = " ".join(response.content.decode().split())
    assert "Your 2 questions stay without your name." in body
    assert "Published answers (1) stay in the knowledge base, unchanged." in body
    assert "Your 2 ratings of answers stay without your name" in body
    assert "You leave Northshire RCC, and your seat is freed." in body
    assert "1 pending invitation to your addresses will be cancelled." in body
    assert "(alice@example.test, alice.home@example.test)" in body.lower()
    assert 'name="password"' in body
    assert 'name="confirmation"' in body


# --- deleting ----------------------------------------------------------------------------------------------------


def test_deleting_anonymises_and_keeps_the_knowledge_base(client, history, alice, bob, erin, northshire, westvale):
    published, private, other = history["published"], history["private"], history["other"].question
    page = QuestionPage.objects.get(question=published)
    page_before = (page.title, page.question_text, page.answer, page.expert_id, page.live, page.visibility)
    ratings_before = {q.pk: q.ratings.count() for q in (published, other)}
    card_before = stats.scorecard(expert_user=erin)
    seats_before = seats_in_use(northshire), seats_in_use(westvale)
    alice_pk = alice.pk

    response = post(client, alice)

    assert response.status_code == 302
    assert response["Location"] == "/account/deleted/"
    assert "_auth_user_id" not in client.session
    goodbye = client.get(response["Location"])
    assert goodbye.status_code == 200
    assert "Your account has been deleted and you have been signed out." in goodbye.content.decode()

    assert not User.objects.filter(pk=alice_pk).exists()
    assert not User.objects.filter(email="alice@example.test").exists()
    assert not EmailAddress.objects.filter(user_id=alice_pk).exists()
    assert not EmailAddress.objects.filter(email__iexact="alice.home@example.test").exists()
    assert not Membership.objects.filter(user_id=alice_pk).exists()
    # Her questions stay, without her name.
    published.refresh_from_db()
    private.refresh_from_db()
    assert published.asker is None
    assert private.asker is None
    assert (published.status, private.status) == ("published", "published")
    assert private.answer.body == ANSWER
    # The published answer stays live and unchanged, and the public can still find it.
    page = QuestionPage.objects.get(question=published)
    assert (page.title, page.question_text, page.answer, page.expert_id, page.live, page.visibility) == page_before
    client.logout()
    assert client.get(page.url).status_code == 200
    # Her ratings stay without her; the counts and the expert's scorecard do not change.
    assert {q.pk: q.ratings.count() for q in (published, other)} == ratings_before
    assert AnswerRating.objects.filter(user__isnull=True).count() == 2
    assert AnswerRating.objects.get(question=published, user=bob).stars == 5
    assert stats.scorecard(expert_user=erin) == card_before
    # Her reply to the expert stays in the question's record, without her name.
    reply = published.events.get(action="clarified")
    assert (reply.actor_id, reply.note) == (None, "About ten hours a month.")
    # Her seat is freed; the invitation waiting for her (at her other address, any case) is revoked.
    assert seats_in_use(northshire) == seats_before[0] - 1
    assert seats_in_use(westvale) == seats_before[1] - 1
    history["waiting"].refresh_from_db()
    assert history["waiting"].state == "revoked"
    history["accepted"].refresh_from_db()
    assert (history["accepted"].state, history["accepted"].accepted_by_id) == ("accepted", None)
    history["unrelated"].refresh_from_db()
    assert history["unrelated"].state == "pending"


def test_other_peoples_records_are_untouched(client, history, alice, bob, erin):
    before = snapshot()
    post(client, alice)
    after = snapshot()
    assert [u for u in before["users"] if u[0] != alice.pk] == after["users"]
    assert [m for m in before["memberships"] if m[0] != alice.pk] == after["memberships"]
    assert [p for p in before["pages"]] == after["pages"]
    assert [e for e in before["experts"]] == after["experts"]


def test_two_factor_authenticators_go_with_the_account(client, alice):
    TOTP.activate(alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert post(client, alice).status_code == 302
    assert not Authenticator.objects.exists()


def test_the_service_reports_what_it_did(history, alice):
    assert account_services.delete_account(alice) == {
        "questions_withdrawn": 0,  # the history's questions are all answered
        "invitations_revoked": 1,
        "questions_kept": 2,
        "ratings_kept": 2,
        "memberships_removed": 1,
        "alert_follows_removed": 0,
        "email_addresses_removed": 2,
    }


def test_an_advisers_unanswered_questions_are_withdrawn_with_their_account(
    client, run_on_commit, alice, northshire, topic, erin
):
    question = ask(run_on_commit, alice, northshire, topic)
    assert post(client, alice).status_code == 302
    question.refresh_from_db()
    assert (question.status, question.asker_id, question.sla_running) == ("withdrawn", None, False)
    event = question.events.get(action="withdrawn")
    assert (event.actor_id, event.note) == (None, "The adviser deleted their account.")
    with pytest.raises(services.TransitionError):
        services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)


def test_an_answer_already_in_review_can_still_be_published(
    client, run_on_commit, alice, northshire, topic, erin, colin
):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    post(client, alice)
    with run_on_commit():
        services.question_publish(
            question_id=question.pk, actor=colin, title="A title", question_text="Text.", answer_text=ANSWER
        )
    question.refresh_from_db()
    assert (question.status, question.asker_id) == ("published", None)


# --- refusals ------------------------------------------------------------------------------------------------------


def assert_refused(response, before, message):
    assert response.status_code == 403
    assert any(message in m for m in messages_in(response)), messages_in(response)
    assert message in " ".join(response.content.decode().split())
    assert snapshot() == before


def test_coordinators_are_refused(client, history, colin):
    before = snapshot()
    response = post(client, colin)
    assert_refused(response, before, "Coordinators cannot delete their own account here")
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "status", [ExpertProfile.Status.ACTIVE, ExpertProfile.Status.PAUSED, ExpertProfile.Status.RETIRED]
)
def test_experts_past_and_present_are_refused(client, history, erin, status):
    ExpertProfile.objects.filter(user=erin).update(status=status)
    before = snapshot()
    response = post(client, erin)
    assert_refused(response, before, "please ask the coordinators to close your account")


def test_the_only_admin_of_a_network_is_refused_until_they_hand_over(client, history, nadia, northshire):
    before = snapshot()
    response = post(client, nadia)
    assert_refused(response, before, "You are the only network admin of Northshire RCC: make another member an admin")
    # The page says so up front, and offers no form.
    page = client.get(URL)
    assert "You cannot delete your account here" in page.content.decode()
    assert 'name="password"' not in page.content.decode()
    # Once another member is an admin, she may go.
    MembershipFactory(network=northshire, user=UserFactory(), role=Membership.Role.ADMIN)
    assert post(client, nadia).status_code == 302
    assert not User.objects.filter(email="nadia@example.test").exists()


def test_an_admin_of_several_networks_must_hand_over_each(client, nadia, northshire, westvale):
    MembershipFactory(network=westvale, user=nadia, role=Membership.Role.ADMIN)
    MembershipFactory(network=northshire, user=UserFactory(), role=Membership.Role.ADMIN)
    before = snapshot()
    assert_refused(post(client, nadia), before, "You are the only network admin of Westvale CVS:")


def test_the_service_refuses_too(history, nadia, colin, erin):
    before = snapshot()
    for person in (nadia, colin, erin):
        with pytest.raises(account_services.DeletionRefused):
            account_services.delete_account(person)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"password": "not-my-password", "confirmation": "delete my account"}, "That is not your current password."),
        ({"password": "", "confirmation": "delete my account"}, "Enter your current password"),
        ({"password": PASSWORD, "confirmation": "delete my acount"}, "Type “delete my account” to confirm"),
        ({"password": PASSWORD, "confirmation": ""}, "Type “delete my account” to confirm"),
        ({"password": PASSWORD}, "Type “delete my account” to confirm"),
        ({"password": PASSWORD, "confirmation": "yes"}, "Type “delete my account” to confirm"),
    ],
)
def test_a_wrong_password_or_confirmation_changes_nothing(client, history, alice, data, error):
    before = snapshot()
    response = post(client, alice, data)
    assert response.status_code == 400
    assert messages_in(response) == []
    summary = BeautifulSoup(response.content, "html.parser").select_one('[data-testid="error-summary"] li')
    assert summary.get_text(strip=True) == "Your account has not been deleted."
    assert error in response.content.decode()
    assert snapshot() == before
    assert int(client.session["_auth_user_id"]) == alice.pk


@pytest.mark.parametrize("typed", ["Delete my account", "  DELETE MY ACCOUNT ", "delete\tmy  account"])
def test_the_confirmation_ignores_case_and_spacing(client, alice, typed):
    assert post(client, alice, {"password": PASSWORD, "confirmation": typed}).status_code == 302
    assert not User.objects.filter(email="alice@example.test").exists()


def test_only_post_deletes(client, alice):
    client.force_login(alice)
    assert client.get(URL, CONFIRM).status_code == 200
    assert User.objects.filter(email="alice@example.test").exists()


def test_attempts_are_rate_limited(client, settings, alice):
    settings.RATE_LIMIT_DELETE_ACCOUNT = "3/h"
    for _ in range(3):
        assert post(client, alice, {"password": "guess", "confirmation": "delete my account"}).status_code == 400
    response = post(client, alice)
    assert response.status_code == 429
    assert "Please slow down" in response.content.decode()
    assert User.objects.filter(email="alice@example.test").exists()


def test_the_goodbye_page_sends_a_signed_in_person_to_their_account(client, alice):
    client.force_login(alice)
    assert client.get("/account/deleted/")["Location"] == "/account/"


# --- ratings without a reader ------------------------------------------------------------------------------------


def test_one_rating_per_reader_still_holds_while_anonymous_ratings_may_be_many(published, alice, bob):
    AnswerRating.objects.create(question=published, user=None, stars=2)
    AnswerRating.objects.create(question=published, user=None, stars=3)
    AnswerRating.objects.create(question=published, user=alice, stars=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerRating.objects.create(question=published, user=alice, stars=5)
    assert published.ratings.count() == 3


# --- fuzzing the form ----------------------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
near_misses = st.sampled_from(
    [PASSWORD, PASSWORD.upper(), PASSWORD + " ", " " + PASSWORD, "delete my account", "delete my account\x00", ""]
)
inputs = st.one_of(text, near_misses)


def _is_the_right_answer(password, confirmation):
    # A field posted several times counts as its last value (Django's QueryDict).
    password = password[-1] if isinstance(password, list) and password else password
    confirmation = confirmation[-1] if isinstance(confirmation, list) and confirmation else confirmation
    if not (isinstance(password, str) and isinstance(confirmation, str)):
        return False
    return password == PASSWORD and " ".join(confirmation.split()).casefold() == "delete my account"


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=inputs, confirmation=inputs)
def test_the_form_never_accepts_anything_but_the_password_and_the_phrase(alice, password, confirmation):
    assume(not _is_the_right_answer(password, confirmation))
    assert not DeleteAccountForm({"password": password, "confirmation": confirmation}, user=alice).is_valid()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        keys=st.sampled_from(["password", "confirmation", "csrfmiddlewaretoken", "other"]),
        values=st.one_of(inputs, st.lists(inputs, max_size=3)),
    )
)
def test_arbitrary_posts_never_fail_and_never_delete(client, alice, data):
    assume(not _is_the_right_answer(data.get("password"), data.get("confirmation")))
    clear_cache()  # the attempts limit is not what is being tested here
    client.force_login(alice)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    assert Membership.objects.filter(user=alice).exists()
