"""Find likely personal data in text before it is published: e-mail addresses, UK phone numbers, UK postcodes
and National Insurance numbers.

The patterns lean towards finding too much rather than too little (a coordinator clears a false alarm with one
click), but they are tested against the everyday numbers of advice work that are *not* personal data — "VAT 20%",
"section 1234", dates, money, charity and company numbers (``tests/qa_site/test_pii.py``).

``scan({"title": ..., "answer_text": ...})`` returns a ``Finding`` for each match, in field order then position.
"""

import re
from dataclasses import dataclass

EMAIL, PHONE, POSTCODE, NI_NUMBER = "email", "phone", "postcode", "ni_number"
KIND_LABELS = {
    EMAIL: "E-mail address",
    PHONE: "Phone number",
    POSTCODE: "Postcode",
    NI_NUMBER: "National Insurance number",
}
# What a redacted item is replaced with: labelled, so that the published text still reads ("call [phone number]"),
# and free of digits and "@", so that the copy scanned again does not find it.
PLACEHOLDERS = {
    EMAIL: "[e-mail address]",
    PHONE: "[phone number]",
    POSTCODE: "[postcode]",
    NI_NUMBER: "[National Insurance number]",
}

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)

# A UK number as people write it: +44 / 0044 (maybe with "(0)"), or a leading 0 (maybe in brackets), then groups
# of digits separated by single spaces or hyphens. The digit count is checked afterwards (``_is_uk_phone``).
_PHONE = re.compile(
    r"""
    (?<![\w+/.,£$€%-])                       # not the tail of a longer number, word, amount or date
    (?:
        (?:\+|00)44[ ]?(?:\(0\)[ ]?)?        # +44 20 …, 0044 7700 …, +44 (0)20 …
      | \(?0                                 # 020 …, (01632) …
    )
    \d{1,4}\)?
    (?:[ -]?\d{2,4}){1,3}
    (?![\d%]|[.,/:]\d)                       # not followed by more digits, a percentage or a decimal part
    """,
    re.VERBOSE,
)

# Outward code (area and district) and inward code (sector and unit), with the letters the Royal Mail uses in each
# position; "GIR 0AA" is the one historical exception.
_POSTCODE = re.compile(
    r"""
    (?<![\w-])
    (?:
        (?:[A-PR-UWYZ][0-9][0-9A-HJKPS-UW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)
        [ ]?[0-9][ABD-HJLNP-UW-Z]{2}
      | GIR[ ]?0AA
    )
    (?![\w-])
    """,
    re.VERBOSE | re.IGNORECASE,
)

# Two prefix letters (never D, F, I, U or V first; never D, F, I, O, U or V second; Q is kept because the
# published example is "QQ 12 34 56 C"), six digits in pairs, and a suffix A–D. Capitals only, as the numbers are
# printed: in lower case, "at 12 34 56 b" is more likely a list than a number.
_NI_NUMBER = re.compile(r"(?<![\w-])[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z][ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D](?![\w-])")


def _is_uk_phone(text):
    digits = re.sub(r"\D", "", text)
    if text.startswith(("+", "00")):
        national = digits[2:] if text.startswith("+") else digits[4:]  # drop 44 or 0044
        if national.startswith("0"):  # "+44 (0)20 …"
            national = national[1:]
    else:
        national = digits[1:]  # drop the trunk 0
    # UK national numbers are 9 or 10 digits and begin 1, 2, 3, 5, 7, 8 or 9 (mobiles 7; freephone 80).
    return len(national) in (9, 10) and national[0] in "1235789"


_PATTERNS = (
    (EMAIL, _EMAIL, None),
    (NI_NUMBER, _NI_NUMBER, None),
    (PHONE, _PHONE, _is_uk_phone),
    (POSTCODE, _POSTCODE, None),
)


@dataclass(frozen=True)
class Finding:
    field: str
    kind: str
    start: int
    text: str

    @property
    def end(self):
        return self.start + len(self.text)

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


def find(text):
    """[(kind, start, matched text)] in ``text``, in order of position; overlapping matches are kept once."""
    found, taken = [], []
    for kind, pattern, check in _PATTERNS:  # earlier kinds win an overlap (an e-mail's digits are not a phone)
        for match in pattern.finditer(text or ""):
            start, end = match.span()
            if check and not check(match.group()):
                continue
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append((kind, start, match.group()))
    return sorted(found, key=lambda item: item[1])


def scan(texts):
    """``texts``: {field name: text} → [Finding] for every field, fields in the given order."""
    return [
        Finding(field, kind, start, matched) for field, text in texts.items() for kind, start, matched in find(text)
    ]


def context(text, start, length, *, width=60):
    """(before, match, after): the match with up to ``width`` characters either side, cut at word boundaries."""
    text = text or ""
    before, after = text[max(0, start - width) : start], text[start + length : start + length + width]
    if start - width > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1 :]
    if start + length + width < len(text) and " " in after:
        after = after[: after.rindex(" ")] + "…"
    return before, text[start : start + length], after
