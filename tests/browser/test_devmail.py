"""The development mailbox in chromium: a coordinator finds a mail, reads its HTML in the sandboxed frame and
follows its link out; the page passes axe-core and breaks no Content-Security-Policy rule."""

import io
import re

from django.core.mail import EmailMultiAlternatives
from playwright.sync_api import expect

from qa_site.devmail import MailboxBackend
from tests.browser.harness import check_page, sign_in

HTML = (
    '<p style="color:#1d6b57">Hello Alice,</p><p>Your question has an answer: '
    '<a href="/questions/">read it</a>.</p><script>document.body.textContent = "scripts ran"</script>'
)


def test_a_coordinator_reads_a_mail_in_the_mailbox(new_page, colin, settings, tmp_path):
    settings.EMAIL_BACKEND = "qa_site.devmail.MailboxBackend"
    settings.DEV_MAILBOX_DIR = tmp_path
    message = EmailMultiAlternatives(
        subject="Answered: members' vote?", body="Read it at http://127.0.0.1/questions/", to=["alice@example.test"]
    )
    message.attach_alternative(HTML, "text/html")
    MailboxBackend(stream=io.StringIO()).send_messages([message])

    page = new_page()
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, colin)
    page.goto("/admin/mail/")
    expect(page.locator("#mails tbody tr")).to_have_count(1)
    check_page(page)
    page.get_by_role("link", name="Answered: members' vote?").click()

    expect(page.locator("#headers")).to_contain_text("alice@example.test")
    expect(page.get_by_role("link", name="http://127.0.0.1/questions/")).to_be_visible()
    frame = page.frame_locator("#html-part")
    expect(frame.locator("p").first).to_have_text("Hello Alice,")  # the script did not run
    check_page(page)
    with page.expect_popup() as popup:
        frame.get_by_role("link", name="read it").click()
    expect(popup.value).to_have_url(re.compile(r"/questions/$"))
    assert refused == []
