"""What a person wrote in an e-mailed reply: the text above the quoted message, without their signature.

Plain-text parts are read as they are; a message with only an HTML part is turned into text first (parsed with
Python's own HTML parser through BeautifulSoup: nothing in it is fetched or run, scripts and styles are dropped,
and the quoted message that Gmail, Outlook and Apple Mail mark in the HTML is removed before reading). The quoted
message and the signature are then found by mail-parser-reply ("On … wrote:", Outlook's "From: … Sent: …" block,
"-- ", "Kind regards", "Sent from my iPhone" …).
"""

import re

from bs4 import BeautifulSoup
from mailparser_reply.parser import EmailMessage

# Elements after which the text starts a new line.
_BLOCKS = [
    "p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "section", "article",
]  # fmt: skip
# The quoted message as mail programs mark it in HTML: Gmail, Outlook (everything from its reply header on), Apple
# Mail and Thunderbird (a blockquote), Yahoo.
_QUOTED = [
    "blockquote",
    "div.gmail_quote",
    "div.gmail_extra",
    "div#appendonsend",
    "div#appendonsend ~ *",
    "div#divRplyFwdMsg",
    "div#divRplyFwdMsg ~ *",
    "div.yahoo_quoted",
    "div.moz-cite-prefix",
]
_SIGNATURES = ["div.gmail_signature", "div#Signature", "div.moz-signature"]


def html_to_text(html):
    """The visible text of an e-mail's HTML part, without the quoted message and marked signatures."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "template", "noscript"]):
        tag.decompose()
    for tag in soup.select(", ".join(_QUOTED + _SIGNATURES)):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for item in soup.find_all("li"):
        item.insert(0, "• ")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        if tag.name != "li":
            tag.insert_after("\n")
    return soup.get_text()


def _tidy(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\u200b", "")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def unflow(text, *, delsp=False):
    """Join the lines of a ``format=flowed`` text (RFC 3676): a line ending in a space goes on in the next one."""
    lines, current = [], ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):  # space-stuffed
            line = line[1:]
        if line.endswith(" ") and line != "-- " and not line.startswith(">"):
            current += line[:-1] if delsp else line
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return "\n".join(lines)


def reply_text(*, text, html, flowed=False, delsp=False):
    """The words the person wrote, from a message's plain-text part (``flowed``: sent as ``format=flowed``), or its
    HTML part when it has no text."""
    if (text or "").strip():
        text = unflow(text, delsp=delsp) if flowed else text
    elif (html or "").strip():
        text = html_to_text(html)
    text = _tidy(text or "")
    if not text:
        return ""
    replies = EmailMessage(text=text, languages=["en"], keep_hyphen_lists=True).read().replies
    if not replies or replies[0].headers:  # the message starts with the quoted one: nothing was written above it
        return ""
    # Quoted lines left inside the reply ("> …" without an "On … wrote:" line above them) are not the sender's words.
    body = "\n".join(line for line in replies[0].body.split("\n") if not line.startswith(">"))
    return _tidy(body)
