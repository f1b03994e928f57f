"""Form errors in chromium: a sign-up sent empty comes back with focus on the error summary, whose links put focus
in their field; no CSP violation, nothing axe-core calls serious."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import PHONE, check_page
from tests.browser.test_csp import Watched


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_empty_sign_up_puts_focus_on_the_error_summary(live_server, new_page, site_tree, viewport):
    watched = Watched(new_page(viewport) if viewport else new_page())
    page = watched.page
    watched.visit("/accounts/signup/")
    check_page(page)
    page.get_by_role("button", name="Create account").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    expect(page).to_have_title("Error: Create an account · Ask an Expert")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Enter your e-mail address",
            "Enter your first name",
            "Enter your last name",
            "Enter a password",
            "Enter your password again",
        ]
    )
    check_page(page)
    watched.check("the sign-up form sent empty")

    summary.get_by_role("link", name="Enter your last name").click()
    expect(page.get_by_label("Last name")).to_be_focused()
    watched.check("a link in the summary followed")
