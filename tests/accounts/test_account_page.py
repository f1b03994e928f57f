"""The account page: one place for e-mail, password, two-factor authentication and one's data."""

from allauth.mfa.totp.internal.auth import TOTP

URL = "/account/"


def test_it_is_for_signed_in_people_only(client, site_tree):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_it_links_everything(client, alice):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    links = ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/account/data/", "/account/delete/")
    for href in links:
        assert f'href="{href}"' in body, href
    for label in ("E-mail addresses", "Password", "Two-factor authentication", "Download my data", "Delete my account"):
        assert f">{label}</a>" in body, label


def test_the_name_in_the_header_links_to_it(client, alice):
    client.force_login(alice)
    body = client.get(URL).content.decode()
    title = "Your account: e-mail, password, two-factor authentication, your data"
    assert f'<a class="who" href="/account/" title="{title}">{alice.display_name}</a>' in body


def test_it_shows_whether_two_factor_authentication_is_on(client, alice):
    client.force_login(alice)
    assert '<span class="badge">Off</span>' in client.get(URL).content.decode()
    TOTP.activate(alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert '<span class="badge badge-accepted">On</span>' in client.get(URL).content.decode()


def test_it_tells_coordinators_and_experts_that_it_is_required(client, alice, colin, erin):
    for person, required in ((alice, False), (colin, True), (erin, True)):
        client.force_login(person)
        body = client.get(URL).content.decode()
        assert ("required for coordinators and experts" in body) is required, person
