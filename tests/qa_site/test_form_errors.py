"""Forms on the public site say what went wrong: a summary at the top linking to each field, each field's message
beside it (aria-invalid, aria-describedby), plain wording, and "Error: " before the page's title."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from qa_site.knowledge.models import Question
from subscriptions.models import AccessKey, Invitation


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def squash(text):
    return " ".join(text.split())


def summary_of(response):
    """The error summary as (message, link target) pairs, or None when there is none."""
    box = page(response).select_one("[data-error-summary]")
    if box is None:
        return None
    return [
        (squash(item.get_text()), item.a["href"] if item.a else None) for item in box.select(".error-summary-list li")
    ]


def title_of(response):
    return squash(page(response).title.get_text())


def error_of(response, field_id):
    """The message shown beside one field, without the "Error:" read out only to screen readers."""
    errors = page(response).select_one(f"#{field_id}_error")
    return squash(errors.get_text()).removeprefix("Error: ") if errors else None


# --- the summary and the fields -----------------------------------------------------------------------------------


def test_sign_in_with_nothing_typed_summarises_each_field(client, site_tree):
    response = client.post("/accounts/login/", {})
    assert summary_of(response) == [
        ("Enter your e-mail address", "#id_login"),
        ("Enter your password", "#id_password"),
    ]


def test_the_summary_is_an_alert_that_can_take_focus(client, site_tree):
    box = page(client.post("/accounts/login/", {})).select_one("[data-error-summary]")
    assert box["role"] == "alert"
    assert box["tabindex"] == "-1"
    assert squash(box.h2.get_text()) == "There is a problem"


def test_a_field_in_error_is_marked_invalid_and_described_by_its_message(client, site_tree):
    response = client.post("/accounts/login/", {"password": "x"})
    login = page(response).select_one("#id_login")
    assert login["aria-invalid"] == "true"
    assert login["aria-describedby"] == "id_login_error"
    assert error_of(response, "id_login") == "Enter your e-mail address"
    assert not page(response).select_one("#id_password").has_attr("aria-invalid")


def test_the_page_title_starts_with_error_when_the_form_has_errors(client, site_tree):
    assert title_of(client.post("/accounts/login/", {})) == "Error: Sign in · Ask an Expert"


def test_a_form_not_yet_sent_has_no_summary_and_no_error_title(client, site_tree):
    response = client.get("/accounts/login/")
    assert summary_of(response) is None
    assert title_of(response) == "Sign in · Ask an Expert"


def test_a_wrong_password_is_summarised_without_a_link(client, alice):
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": "not-it"})
    assert summary_of(response) == [
        (
            "The e-mail address or password is not right. Check both and try again, or reset your password.",
            None,
        )
    ]


# --- sign-in and sign-up look like the site ------------------------------------------------------------------------


def test_sign_in_page_speaks_plainly_and_links_onwards(client, site_tree):
    body = page(client.get("/accounts/login/"))
    assert squash(body.h1.get_text()) == "Sign in"
    assert [squash(label.get_text()) for label in body.select("form label")] == [
        "E-mail address",
        "Password",
        "Remember me on this computer",
    ]
    assert body.select_one("label.check > input#id_remember[type=checkbox]") is not None
    assert squash(body.select_one("form button[type=submit]").get_text()) == "Sign in"
    links = {squash(a.get_text()): a["href"] for a in body.select(".auth-links a")}
    assert links == {"Forgotten your password?": "/accounts/password/reset/", "Create an account": "/accounts/signup/"}
    assert "Sign In" not in str(body)
    assert body.select_one("#id_login").get("placeholder") is None


def test_sign_up_page_is_headed_create_an_account(client, site_tree):
    response = client.get("/accounts/signup/")
    assert squash(page(response).h1.get_text()) == "Create an account"
    assert title_of(response) == "Create an account · Ask an Expert"


def test_sign_up_with_nothing_typed_summarises_each_field(client, site_tree):
    response = client.post("/accounts/signup/", {})
    assert summary_of(response) == [
        ("Enter your e-mail address", "#id_email"),
        ("Enter your first name", "#id_first_name"),
        ("Enter your last name", "#id_last_name"),
        ("Enter a password", "#id_password1"),
        ("Enter your password again", "#id_password2"),
    ]
    assert title_of(response) == "Error: Create an account · Ask an Expert"


SIGNUP = {
    "email": "new.adviser@example.test",
    "first_name": "Nia",
    "last_name": "Price",
    "password1": "a-sound-passphrase-9",
    "password2": "a-sound-passphrase-9",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter an e-mail address in the correct format, like name@example.org"),
        ({"password2": "different"}, "password2", "The passwords do not match: type the same password in both boxes"),
        ({"password1": "Ab3$", "password2": "Ab3$"}, "password1", "Your password must be at least 8 characters long"),
        (
            {"password1": "password", "password2": "password"},
            "password1",
            "That password is one of the most common, and easy to guess: choose a different one",
        ),
        (
            {"password1": "40958623017", "password2": "40958623017"},
            "password1",
            "Your password must have letters or symbols in it, not only numbers",
        ),
    ],
)
def test_sign_up_mistakes_are_worded_plainly(client, site_tree, change, field, message):
    response = client.post("/accounts/signup/", {**SIGNUP, **change})
    assert error_of(response, f"id_{field}") == message
    assert (message, f"#id_{field}") in summary_of(response)


def test_sign_up_hint_states_the_password_rules(client, site_tree):
    hint = page(client.get("/accounts/signup/")).select_one("#id_password1_helptext")
    assert squash(hint.get_text()) == (
        "At least 8 characters. Not like your name or e-mail address. Not a common password. Not only numbers."
    )


def test_password_reset_with_nothing_typed_asks_for_the_address(client, site_tree):
    response = client.post("/accounts/password/reset/", {})
    assert summary_of(response) == [("Enter your e-mail address", "#id_email")]
    assert squash(page(response).h1.get_text()) == "Reset your password"


def test_changing_ones_password_summarises_each_field(client, alice):
    client.force_login(alice)
    response = client.post(reverse("account_change_password"), {})
    assert summary_of(response) == [
        ("Enter your current password", "#id_oldpassword"),
        ("Enter a new password", "#id_password1"),
        ("Enter your new password again", "#id_password2"),
    ]
    assert title_of(response) == "Error: Change your password · Ask an Expert"


def test_allauths_other_forms_get_one_summary_and_the_sites_fields(client, alice):
    client.force_login(alice)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "not-an-address"})
    assert summary_of(response) == [
        ("Enter an e-mail address in the correct format, like name@example.org", "#id_email")
    ]
    assert len(page(response).select("[data-error-summary]")) == 1
    assert page(response).select_one("#id_email")["aria-describedby"] == "id_email_error"
    assert title_of(response).startswith("Error: ")


# --- the site's own forms ------------------------------------------------------------------------------------------


def test_ask_form_summarises_each_missing_answer(client, alice, topic):
    client.force_login(alice)
    response = client.post(reverse("knowledge:ask"), {"network": alice.memberships.get().network_id})
    assert summary_of(response) == [
        ("Enter your question in one line", "#id_title"),
        ("Enter the details of your question", "#id_details"),
        ("Choose a topic", "#id_topic"),
        ("Choose who may read the answer", "#id_visibility_0"),
    ]
    assert title_of(response) == "Error: Ask a question · Ask an Expert"
    assert page(response).select_one("#id_title")["aria-invalid"] == "true"
    assert page(response).select_one("#id_visibility_0")["aria-invalid"] == "true"
    assert page(response).select_one("fieldset")["aria-describedby"] == "id_visibility_error"
    assert not Question.objects.exists()


def test_invite_form_summarises_a_missing_address(client, nadia, northshire):
    client.force_login(nadia)
    response = client.post("/network/northshire/members/", {"email": "", "role": "adviser"})
    assert summary_of(response) == [("Enter the e-mail address of the person to invite", "#id_email")]
    assert page(response).select_one("#id_email")["aria-invalid"] == "true"
    assert title_of(response).startswith("Error: Members · Northshire RCC")
    assert not Invitation.objects.exists()


def test_invite_form_words_a_malformed_address(client, nadia, northshire):
    client.force_login(nadia)
    response = client.post("/network/northshire/members/", {"email": "a@b", "role": "adviser"})
    assert error_of(response, "id_email") == "Enter an e-mail address in the correct format, like name@example.org"


def test_key_form_links_a_missing_kind_to_its_first_option(client, nadia, northshire):
    client.force_login(nadia)
    response = client.post("/network/northshire/keys/", {"name": ""})
    assert summary_of(response) == [
        ("Enter a name for the key", "#id_name"),
        ("Choose the kind of key", "#id_kind_0"),
    ]
    assert not AccessKey.objects.exists()


def test_expert_application_words_what_is_missing(client, alice, topic):
    client.force_login(alice)
    response = client.post(reverse("experts:apply"), {"headline": ""})
    assert summary_of(response) == [
        ("Enter a headline: one line about you", "#id_headline"),
        ("Tell advisers about yourself", "#id_bio"),
        ("Enter your relevant experience and qualifications", "#id_experience"),
        ("Choose at least one topic.", "#id_topics_0"),
    ]


def test_deleting_an_account_with_nothing_typed_says_what_to_type(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:delete"), {"password": "", "confirmation": ""})
    assert summary_of(response) == [
        ("Your account has not been deleted.", None),
        ("Enter your current password", "#id_password"),
        ("Type “delete my account” to confirm", "#id_confirmation"),
    ]


def test_choosing_a_new_password_says_plainly_when_the_two_differ(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    link = re.search(r"http://testserver(/accounts/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "a-new-passphrase-42", "password2": "a-new-passphrase-24"})
    assert squash(page(response).h1.get_text()) == "Choose a new password"
    assert summary_of(response) == [
        ("The passwords do not match: type the same password in both boxes", "#id_password2")
    ]


def test_a_used_password_link_says_it_has_expired(client, alice):
    response = client.get("/accounts/password/reset/key/1-not-a-real-token/", follow=True)
    assert squash(page(response).h1.get_text()) == "This link has expired"
