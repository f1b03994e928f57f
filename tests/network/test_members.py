"""Members and invitations: inviting within the seats paid for, withdrawing, removing, changing roles."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.models import Invitation, Membership, Subscription
from tests.factories import MembershipFactory, UserFactory

from .pages import messages_of, soup, table_rows, text_of

MEMBERS = "/network/northshire/members/"
BAD_ADDRESS = "Enter an e-mail address in the correct format, like name@example.org"


def invite(client, email, role="adviser", organisation=""):
    return client.post(MEMBERS, {"email": email, "role": role, "organisation": organisation})


def set_seats(network, seats):
    Subscription.objects.filter(network=network).update(seats=seats)


def field_errors(response, name):
    """A field's messages, without the "Error:" read out to screen readers before each."""
    errors = soup(response).select_one(f"#id_{name}_error")
    return [" ".join(li.get_text().split()).removeprefix("Error: ") for li in errors.select("li")] if errors else []


# --- the page ----------------------------------------------------------------------------------------------------


def test_members_page_lists_members_and_every_invitation(as_nadia, northshire, nadia, alice):
    Membership.objects.filter(user=alice).update(organisation="Hillside Village Hall")
    now = timezone.now()
    for email, changes in [
        ("pending@example.test", {}),
        ("expired@example.test", {"expires_at": now - dt.timedelta(days=1)}),
        ("revoked@example.test", {"revoked_at": now}),
        ("accepted@example.test", {"accepted_at": now, "accepted_by": alice}),
    ]:
        Invitation.objects.create(
            network=northshire,
            email=email,
            invited_by=nadia,
            expires_at=changes.pop("expires_at", now + dt.timedelta(days=14)),
            **changes,
        )
    response = as_nadia.get(MEMBERS)
    assert response.status_code == 200
    today = timezone.localdate()
    joined = f"{today.day} {today:%b %Y}"
    nadia_name, alice_name = nadia.display_name, alice.display_name
    assert [row[:3] + row[4:] for row in table_rows(response, "members")] == [
        [alice_name, "alice@example.test", "Hillside Village Hall", joined, "Remove"],
        [f"{nadia_name} (you)", "nadia@example.test", "–", joined, "Only admin"],
    ]
    selected = [option["value"] for option in soup(response).select('[data-testid="members"] option[selected]')]
    assert selected == ["adviser", "admin"]
    states = [row[4].split(" ")[0] for row in table_rows(response, "invitations")]
    assert states == ["Pending", "Expired", "Accepted", "Revoked"]
    assert [row[0] for row in table_rows(response, "invitations")] == [
        "pending@example.test",
        "expired@example.test",
        "accepted@example.test",
        "revoked@example.test",
    ]
    # Only the pending invitation can be withdrawn; it holds a seat, the others do not.
    assert len(soup(response).select('[data-testid="invitations"] form')) == 1
    assert text_of(response, "seats") == "3 of 25 seats used (2 members, 1 pending invitation)"


# --- inviting ----------------------------------------------------------------------------------------------------


def test_inviting_holds_a_seat_and_sends_a_link(as_nadia, northshire, nadia, run_on_commit):
    with run_on_commit():
        response = invite(as_nadia, "  New.Person@Example.TEST ", role="admin", organisation=" Riverside Food Bank ")
    assert response.status_code == 302
    assert response["Location"] == MEMBERS
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organisation, invitation.invited_by) == (
        "new.person@example.test",
        "admin",
        "Riverside Food Bank",
        nadia,
    )
    assert invitation.state == "pending"
    assert [message.to for message in mail.outbox] == [["new.person@example.test"]]
    assert re.search(r"/network/join/[^/\s]+/", mail.outbox[0].body)
    page = as_nadia.get(MEMBERS)
    assert messages_of(page) == [
        "Invitation sent to new.person@example.test. It holds a seat until they join or it expires."
    ]
    assert text_of(page, "seats") == "2 of 25 seats used (1 member, 1 pending invitation)"


def test_inviting_again_replaces_the_earlier_invitation(as_nadia, northshire):
    invite(as_nadia, "again@example.test")
    first = Invitation.objects.get()
    invite(as_nadia, "again@example.test")
    first.refresh_from_db()
    assert first.state == "revoked"
    assert Invitation.objects.pending().count() == 1


@pytest.mark.parametrize(
    ("data", "field", "errors"),
    [
        ({"email": ""}, "email", ["Enter the e-mail address of the person to invite"]),
        ({"email": "   "}, "email", ["Enter the e-mail address of the person to invite"]),
        ({"email": "not-an-email"}, "email", [BAD_ADDRESS]),
        ({"email": "a@b"}, "email", [BAD_ADDRESS]),
        ({"email": "@example.test"}, "email", [BAD_ADDRESS]),
        ({"email": "two@@example.test"}, "email", [BAD_ADDRESS]),
        ({"email": "<script>@example.test"}, "email", [BAD_ADDRESS]),
        ({"email": "one@example.test, two@example.test"}, "email", [BAD_ADDRESS]),
        (
            {"email": "a" * 287 + "@example.test"},
            "email",
            ["Enter an e-mail address of at most 254 characters"],
        ),
        ({"role": "owner"}, "role", ["Choose a role from the list"]),
        ({"role": ""}, "role", ["Choose a role"]),
        ({"organisation": "x" * 201}, "organisation", ["Shorten the organisation's name to at most 200 characters"]),
    ],
)
def test_bad_invitations_are_refused_with_a_reason(as_nadia, northshire, data, field, errors):
    response = as_nadia.post(MEMBERS, {"email": "good@example.test", "role": "adviser", **data})
    assert response.status_code == 400
    assert field_errors(response, field) == errors
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("email", ["alice@example.test", "ALICE@Example.Test"])
def test_members_cannot_be_invited_again(as_nadia, northshire, alice, email):
    response = invite(as_nadia, email)
    assert response.status_code == 400
    assert text_of(response, "error-summary") == (
        "There is a problem alice@example.test is already a member of Northshire RCC."
    )
    assert not Invitation.objects.exists()


def test_the_seat_limit_counts_pending_invitations_and_frees_seats(as_nadia, northshire, alice):
    set_seats(northshire, 3)  # nadia and alice hold two
    assert invite(as_nadia, "first@example.test").status_code == 302
    response = invite(as_nadia, "second@example.test")
    assert response.status_code == 400
    assert text_of(response, "error-summary") == (
        "There is a problem All 3 seats are taken (members and pending invitations). Remove a member, "
        "withdraw an invitation, or ask us about more seats."
    )
    assert list(Invitation.objects.values_list("email", flat=True)) == ["first@example.test"]

    # Withdrawing the pending invitation frees its seat.
    first = Invitation.objects.get()
    as_nadia.post(f"/network/northshire/invitations/{first.pk}/revoke/")
    assert invite(as_nadia, "second@example.test").status_code == 302
    assert invite(as_nadia, "third@example.test").status_code == 400

    # So does removing a member.
    membership = Membership.objects.get(user=alice)
    assert as_nadia.post(f"/network/northshire/members/{membership.pk}/remove/").status_code == 302
    assert invite(as_nadia, "third@example.test").status_code == 302
    assert sorted(Invitation.objects.pending().values_list("email", flat=True)) == [
        "second@example.test",
        "third@example.test",
    ]


def test_an_expired_invitation_holds_no_seat(as_nadia, northshire):
    set_seats(northshire, 2)
    invite(as_nadia, "late@example.test")
    assert invite(as_nadia, "next@example.test").status_code == 400
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert invite(as_nadia, "next@example.test").status_code == 302


def test_advisers_cannot_invite(client, alice):
    client.force_login(alice)
    response = invite(client, "friend@example.test")
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_coordinators_can_invite_for_a_network(client, colin, northshire):
    client.force_login(colin)
    assert invite(client, "via.colin@example.test").status_code == 302
    assert Invitation.objects.get().invited_by == colin


def test_inviting_is_rate_limited_per_person(as_nadia, northshire, settings):
    settings.RATE_LIMIT_INVITE = "3/d"
    for number in range(3):
        assert invite(as_nadia, f"person{number}@example.test").status_code == 302
    response = invite(as_nadia, "one.too.many@example.test")
    assert response.status_code == 429
    assert "Please slow down" in response.content.decode()
    assert Invitation.objects.count() == 3
    assert as_nadia.get(MEMBERS).status_code == 200  # looking is not limited


# --- withdrawing -------------------------------------------------------------------------------------------------


def test_withdrawing_an_invitation_twice_says_it_already_was(as_nadia, northshire):
    as_nadia.post(MEMBERS, {"email": "maybe@example.test", "role": "adviser"}, follow=True)
    invitation = Invitation.objects.get()
    url = f"/network/northshire/invitations/{invitation.pk}/revoke/"
    response = as_nadia.post(url, follow=True)
    assert messages_of(response) == ["The invitation for maybe@example.test is withdrawn: its seat is free."]
    invitation.refresh_from_db()
    revoked_at = invitation.revoked_at
    assert revoked_at is not None
    response = as_nadia.post(url, follow=True)
    assert messages_of(response) == ["That invitation is already revoked."]
    invitation.refresh_from_db()
    assert invitation.revoked_at == revoked_at


def test_withdrawing_is_post_only_and_for_this_networks_invitations(as_nadia, northshire, westvale, walter, client):
    invite(as_nadia, "maybe@example.test")
    invitation = Invitation.objects.get()
    assert as_nadia.get(f"/network/northshire/invitations/{invitation.pk}/revoke/").status_code == 405
    assert as_nadia.post("/network/northshire/invitations/999999/revoke/").status_code == 404
    # Another network's admin can neither reach it through their own network nor through this one.
    client.force_login(walter)
    assert client.post(f"/network/westvale/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/network/northshire/invitations/{invitation.pk}/revoke/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.state == "pending"


# --- removing ----------------------------------------------------------------------------------------------------


def test_removing_a_member_asks_first_then_frees_the_seat(as_nadia, northshire, alice):
    membership = Membership.objects.get(user=alice)
    url = f"/network/northshire/members/{membership.pk}/remove/"
    confirm = as_nadia.get(url)
    assert confirm.status_code == 200
    assert Membership.objects.filter(pk=membership.pk).exists()
    heading = soup(confirm).select_one("main h2").get_text()
    assert heading == f"Remove {alice.display_name}?"
    response = as_nadia.post(url, follow=True)
    assert response.redirect_chain == [(MEMBERS, 302)]
    assert messages_of(response) == [f"{alice.display_name} has left Northshire RCC: their seat is free."]
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert text_of(response, "seats") == "1 of 25 seats used (1 member, 0 pending invitations)"


def test_the_last_admin_cannot_be_removed(as_nadia, northshire, nadia):
    membership = Membership.objects.get(user=nadia)
    response = as_nadia.post(f"/network/northshire/members/{membership.pk}/remove/", follow=True)
    assert messages_of(response) == ["A network needs at least one admin: make someone else an admin first."]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_who_leaves_is_sent_home(as_nadia, northshire, nadia):
    MembershipFactory(network=northshire, user=UserFactory(), role=Membership.Role.ADMIN)
    membership = Membership.objects.get(user=nadia)
    response = as_nadia.post(f"/network/northshire/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert as_nadia.get("/network/northshire/").status_code == 403


def test_members_of_other_networks_cannot_be_removed_from_here(as_nadia, bob, northshire):
    membership = Membership.objects.get(user=bob)
    assert as_nadia.get(f"/network/northshire/members/{membership.pk}/remove/").status_code == 404
    assert as_nadia.post(f"/network/northshire/members/{membership.pk}/remove/").status_code == 404
    assert as_nadia.post(f"/network/westvale/members/{membership.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- roles -------------------------------------------------------------------------------------------------------


def test_changing_roles(as_nadia, northshire, nadia, alice):
    alice_membership = Membership.objects.get(user=alice)
    response = as_nadia.post(f"/network/northshire/members/{alice_membership.pk}/role/", {"role": "admin"}, follow=True)
    assert messages_of(response) == [f"{alice.display_name} is now: Network admin."]
    alice_membership.refresh_from_db()
    assert alice_membership.role == "admin"

    # Now that Alice is an admin too, Nadia may step down; she loses the admin pages.
    nadia_membership = Membership.objects.get(user=nadia)
    response = as_nadia.post(f"/network/northshire/members/{nadia_membership.pk}/role/", {"role": "adviser"})
    assert response["Location"] == "/"
    nadia_membership.refresh_from_db()
    assert nadia_membership.role == "adviser"
    assert as_nadia.get("/network/northshire/").status_code == 403


def test_the_last_admin_cannot_step_down(as_nadia, northshire, nadia):
    membership = Membership.objects.get(user=nadia)
    response = as_nadia.post(f"/network/northshire/members/{membership.pk}/role/", {"role": "adviser"}, follow=True)
    assert messages_of(response) == ["A network needs at least one admin: make someone else an admin first."]
    membership.refresh_from_db()
    assert membership.role == "admin"


@pytest.mark.parametrize("data", [{"role": "owner"}, {"role": ""}, {}])
def test_unknown_roles_are_refused(as_nadia, northshire, alice, data):
    membership = Membership.objects.get(user=alice)
    response = as_nadia.post(f"/network/northshire/members/{membership.pk}/role/", data, follow=True)
    assert messages_of(response) == ["Choose a role: adviser or network admin."]
    membership.refresh_from_db()
    assert membership.role == "adviser"


def test_changing_a_role_is_post_only_and_for_admins(client, as_nadia, northshire, alice):
    membership = Membership.objects.get(user=alice)
    url = f"/network/northshire/members/{membership.pk}/role/"
    assert as_nadia.get(url).status_code == 405
    client.force_login(alice)
    assert client.post(url, {"role": "admin"}).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "adviser"
