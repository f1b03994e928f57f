"""The words of a reply: HTML parts read as text, quoted messages and signatures left out."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from qa_site.replies.text import html_to_text, reply_text, unflow

FIXTURES = Path(__file__).parent / "fixtures"
REPLY = (
    "Yes, we claim on cash donations too: mostly bucket collections at the summer fete, about £1,200 a year.\n\n"
    "We keep a tally sheet for each collection, signed by two volunteers."
)


def html_part(name):
    message = message_from_bytes((FIXTURES / name).read_bytes(), policy=policy.default)
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize("fixture", ["adviser_gmail.eml", "adviser_outlook.eml", "adviser_html_only.eml"])
def test_html_part_alone_gives_the_same_words_as_the_text_part(fixture):
    assert reply_text(text="", html=html_part(fixture)) == REPLY


def test_html_to_text_drops_scripts_styles_and_keeps_lines_and_list_items():
    html = (
        "<style>p{color:red}</style><p>First line<br>second line</p><script>alert('x')</script>"
        "<ul><li>one</li><li>two</li></ul><img src=x onerror=alert(1)><p>end &amp; done</p>"
    )
    assert reply_text(text="", html=html) == "First line\nsecond line\n\n• one\n• two\n\nend & done"
    assert "alert" not in html_to_text(html)


def test_hyphen_lists_are_the_reply_not_a_signature():
    text = "The lease is 25 years.\n- signed in 2019\n- by all the trustees\n\nKind regards,\nAlice"
    assert reply_text(text=text, html="") == "The lease is 25 years.\n- signed in 2019\n- by all the trustees"


def test_flowed_text_is_joined_but_the_signature_separator_is_kept():
    assert unflow("a long \nline\n-- \nAlice") == "a long line\n-- \nAlice"
    assert unflow("joined\nno-space\nbreak", delsp=True) == "joined\nno-space\nbreak"
    assert unflow("del \nsp", delsp=True) == "delsp"


@pytest.mark.parametrize("text", ["", "   \n ", "> only a quote\n> more", "On 7 Dec, Erin <e@x.test> wrote:\n> hi"])
def test_nothing_above_the_quote_is_an_empty_reply(text):
    assert reply_text(text=text, html="") == ""
