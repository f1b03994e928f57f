"""Who may open what: every page of the loop against every kind of visitor.

Expected outcomes:
  OK     200, and the page shows the protected content
  LOGIN  a redirect to the sign-in page (nothing of the page shown)
  DENY   403, or a redirect away from the admin, and none of the protected content
  TEASER 200 with the teaser only (public answers to people without a subscription)
  OWN    200 for the visitor's own version of the page, without this content (another expert's dashboard)
"""

import pytest
from django.urls import reverse

from qa_site.knowledge import services
from tests.factories import make_expert, make_published_page

OK, LOGIN, DENY, TEASER, OWN = "ok", "login", "deny", "teaser", "own"
ROLES = ["anonymous", "alice", "carol", "bob", "nadia", "erin", "other_expert", "colin"]
SECRET = "Our treasurer has resigned and taken the cheque book."
NETWORK_ANSWER = "Network-only guidance for Northshire members about the cheque book and bank mandate. " * 3
PUBLIC_ANSWER = "Public guidance: register once your income passes the threshold and keep records. " * 5 + (
    "Only subscribers read this closing sentence."
)


@pytest.fixture
def world(alice, carol, bob, nadia, erin, colin, northshire, topic, run_on_commit):
    other_expert = make_expert(topics=[topic]).user
    with run_on_commit():
        question = services.question_submit(
            asker=alice,
            network=northshire,
            topic=topic,
            title="What do we do about the missing cheque book?",
            details=SECRET,
            visibility="private",
        )
    question.refresh_from_db()
    if question.assignee != erin:  # routing is fair between two experts: make the fixture deterministic
        services.question_decline(question_id=question.pk, expert=question.assignee, reason="test set-up")
        from experts import routing

        question.refresh_from_db()
        routing.route_question(question)
        question.refresh_from_db()
    assert question.assignee == erin
    network_page = make_published_page(
        topic=topic,
        title="Network-only cheque book answer",
        visibility="network",
        network=northshire,
        answer=NETWORK_ANSWER,
        expert=erin,
    )
    public_page = make_published_page(
        topic=topic, title="Public registration answer", answer=PUBLIC_ANSWER, expert=erin
    )
    return {
        "users": {
            "alice": alice,
            "carol": carol,
            "bob": bob,
            "nadia": nadia,
            "erin": erin,
            "other_expert": other_expert,
            "colin": colin,
        },
        "question": question,
        "network_page": network_page,
        "public_page": public_page,
    }


def client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


# (name, url, marker of protected content, expected outcome per role)
MATRIX = [
    (
        "ask",
        lambda w: reverse("knowledge:ask"),
        "Send my question",
        dict(anonymous=LOGIN, alice=OK, carol=DENY, bob=OK, nadia=OK, erin=DENY, other_expert=DENY, colin=DENY),
    ),
    (
        "question progress page",
        lambda w: reverse("knowledge:question", args=[w["question"].pk]),
        SECRET,
        dict(anonymous=LOGIN, alice=OK, carol=DENY, bob=DENY, nadia=DENY, erin=OK, other_expert=DENY, colin=OK),
    ),
    (
        "expert dashboard",
        lambda w: reverse("experts:dashboard"),
        "What do we do about the missing cheque book?",
        dict(anonymous=LOGIN, alice=DENY, carol=DENY, bob=DENY, nadia=DENY, erin=OK, other_expert=OWN, colin=DENY),
    ),
    (
        "expert answer page",
        lambda w: reverse("experts:question", args=[w["question"].pk]),
        SECRET,
        dict(anonymous=LOGIN, alice=DENY, carol=DENY, bob=DENY, nadia=DENY, erin=OK, other_expert=DENY, colin=DENY),
    ),
    (
        "admin review queue",
        lambda w: reverse("knowledge_admin:review_queue"),
        "Answers to review",
        dict(anonymous=LOGIN, alice=DENY, carol=DENY, bob=DENY, nadia=DENY, erin=DENY, other_expert=DENY, colin=OK),
    ),
    (
        "admin question detail",
        lambda w: reverse("knowledge_admin:question", args=[w["question"].pk]),
        SECRET,
        dict(anonymous=LOGIN, alice=DENY, carol=DENY, bob=DENY, nadia=DENY, erin=DENY, other_expert=DENY, colin=OK),
    ),
    (
        "admin triage queue",
        lambda w: reverse("experts_admin:triage"),
        "Triage queue",
        dict(anonymous=LOGIN, alice=DENY, carol=DENY, bob=DENY, nadia=DENY, erin=DENY, other_expert=DENY, colin=OK),
    ),
    (
        "network-only answer page",
        lambda w: w["network_page"].url,
        "Network-only guidance",
        dict(anonymous=LOGIN, alice=OK, carol=DENY, bob=DENY, nadia=OK, erin=OK, other_expert=DENY, colin=OK),
    ),
    (
        "public answer page",
        lambda w: w["public_page"].url,
        "Only subscribers read this closing sentence.",
        dict(anonymous=TEASER, alice=OK, carol=TEASER, bob=OK, nadia=OK, erin=OK, other_expert=OK, colin=OK),
    ),
]
# Network-only answers: the network's members, coordinators and the expert who wrote it (erin), not other experts.


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "marker", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_access_matrix(client, world, role, name, url, marker, expected):
    path = url(world)
    response = client_for(client, world, role).get(path)
    outcome = expected[role]
    body = response.content.decode() if response.status_code == 200 else ""
    if outcome == OK:
        assert response.status_code == 200, f"{role} should open {name}"
        assert marker in body
    elif outcome == TEASER:
        assert response.status_code == 200
        assert marker not in body
        assert "The full answer is for subscribers." in body
    elif outcome == OWN:
        assert response.status_code == 200
        assert marker not in body
    elif outcome == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (302, 403), f"{role} must not open {name}"
        if response.status_code == 302:
            assert not response["Location"].startswith(path)
        assert marker not in body
        if response.status_code == 403:
            assert SECRET not in response.content.decode()
