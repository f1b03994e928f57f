"""What a search is made of: the words of what was typed, never its punctuation (so nothing a person types is
full-text syntax in any engine), and the marks engines put around matching words."""

import re
from html import escape

_WORD = re.compile(r"\w+")

MAX_QUERY_WORDS = 12

# Private-use characters mark highlighted words in an engine's output; the text is escaped afterwards and
# the marks become <mark> tags (``marked_html``). Indexed text never contains them (``clean_text``).
OPEN, CLOSE = "\ue000", "\ue001"
_MARKS = re.compile(f"[{OPEN}{CLOSE}]")

# Words too common to narrow a search (a query keeps them when it has nothing else).
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just may me might more
    most must my myself no nor not now of off on once only or other our ours ourselves out over own same shall
    she should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves""".split()  # noqa: SIM905
)


# Terms advisers use interchangeably. Each group is one synonym rule: every form finds the others, in every engine.
SECTOR_SYNONYMS = (
    ("cio", "charitable incorporated organisation"),
    ("cic", "community interest company"),
    ("vat", "value added tax"),
    ("gdpr", "data protection"),
    ("dbs", "disclosure and barring service"),
    ("hmrc", "revenue and customs"),
    ("sorp", "statement of recommended practice"),
    ("paye", "pay as you earn"),
)


def words(text):
    """All the words of ``text``, lower-case, in order."""
    return [word.lower() for word in _WORD.findall(text or "")]


def normalise(query):
    """A query as the search log keeps it: its words, lower-case, single-spaced."""
    return " ".join(words(query))


def query_words(query, *, limit=MAX_QUERY_WORDS):
    """The distinct words of ``query`` worth searching for (its stop words only if it has nothing else)."""
    distinct = list(dict.fromkeys(words(query)))
    content = [word for word in distinct if word not in STOP_WORDS]
    return (content or distinct)[:limit]


def query_terms(query, *, limit=MAX_QUERY_WORDS):
    """What a search looks for: one entry per term, each the tuple of its alternative forms, each form a tuple of
    words (a phrase). A sector term (``SECTOR_SYNONYMS``) written in any of its forms is one entry holding all of
    them — "VAT returns" is ``[(("vat",), ("value", "added", "tax")), (("returns",),)]``; every other word is an
    entry of its own, as ``query_words`` gives them."""
    padded = f" {normalise(query)} "
    groups = []
    for group in SECTOR_SYNONYMS:
        for form in sorted(group, key=len, reverse=True):
            if f" {form} " in padded:
                padded = padded.replace(f" {form} ", " ")
                groups.append(tuple(tuple(alternative.split()) for alternative in group))
                break
    rest = [((word,),) for word in query_words(padded, limit=limit)] if padded.strip() else []
    if groups and rest and all(term[0][0] in STOP_WORDS for term in rest):
        rest = []  # "the VAT": the sector term is the search
    return (groups + rest)[:limit]


def clean_text(text):
    """Text as indexed: without the characters that mark highlights."""
    return _MARKS.sub("", text or "")


def marked_html(text):
    """Engine output with highlight marks → escaped HTML with each match in ``<mark>``."""
    html = escape(text or "")
    if html.count(OPEN) != html.count(CLOSE):  # never leave a <mark> open
        html = _MARKS.sub("", html)
    return html.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
