"""The harness's page check catches what it promises to: axe-core's serious and critical violations, and sideways
scrolling on a phone (a check that passed everything would make every journey's checks worthless)."""

import pytest

from tests.browser.harness import PHONE, check_page

PAGE = (
    '<!doctype html><html lang="en"><head><title>A page</title></head>'
    "<body><main><h1>A page</h1>{}</main></body></html>"
)


@pytest.mark.browser
def test_check_page_lists_each_serious_violation_with_its_nodes(new_page):
    page = new_page()
    page.set_content(PAGE.format('<div style="width: 1500px">Wider than the screen, which a desktop may be</div>'))
    check_page(page)

    page.set_content(PAGE.format('<img src="/x.png" id="no-alt"><button id="empty"></button>'))
    with pytest.raises(AssertionError) as failure:
        check_page(page)
    message = str(failure.value)
    assert "image-alt (critical): Images must have alternative text -- #no-alt" in message
    assert "button-name (critical): Buttons must have discernible text -- #empty" in message


@pytest.mark.browser
def test_check_page_fails_a_page_wider_than_a_phone(new_page):
    page = new_page(PHONE)
    page.set_content(PAGE.format("<p>Fits</p>"))
    check_page(page)

    page.set_content(PAGE.format('<div style="width: 500px">Wide</div>'))
    with pytest.raises(AssertionError) as failure:
        check_page(page)
    assert str(failure.value) == "about:blank: 508 px wide on a 390 px screen"  # 500 px and the body's margins
