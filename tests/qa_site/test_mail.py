"""E-mails as people read them: plain-text subjects, however the title is written."""

from django.core import mail

from qa_site.knowledge import services

TITLE = "Can the village hall's trustees be paid? <Yes> & no"


def test_a_subject_is_plain_text_not_html(alice, northshire, topic, erin, run_on_commit):
    with run_on_commit():
        services.question_submit(
            asker=alice, network=northshire, topic=topic, title=TITLE, details="d" * 40, visibility="public"
        )
    (message,) = [m for m in mail.outbox if m.to == [erin.email]]  # the assignment e-mail to the expert
    assert message.subject == f"New question for you: {TITLE}"
    html = message.alternatives[0][0]
    assert "village hall&#x27;s" in html, "the HTML part still escapes what it shows"
