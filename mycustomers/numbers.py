"""Whole numbers from users and URLs: ASCII digits only.

``str.isdigit()`` is true of "²" and "٣", which ``int()`` then refuses or reads as 3: every
number a request carries goes through here instead.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")
# A page number this long is past the end of anything (and int() of 5,000 digits raises).
PAST_THE_END = 10**9


def ascii_int(value: object, *, max_digits: int = 18) -> int | None:
    """``value`` as a whole number if it is 1–``max_digits`` ASCII digits, else None."""
    text = str(value) if value is not None else ""
    if not 0 < len(text) <= max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def page_number(value: str | None) -> int:
    """A page number from the query string, forgiving: anything but ASCII digits, or 0, is
    page 1; a number too long to be real is past the end (the paginator shows the last page)."""
    if value and len(value) > 9 and _ASCII_DIGITS.fullmatch(value):
        return PAST_THE_END
    return max(ascii_int(value, max_digits=9) or 1, 1)
