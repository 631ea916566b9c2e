"""The alphanumeric navigation (M9): which member names each initial shows, as ranges of the
name index's key.

A letter shows the names that start with it or with a Latin letter built on it, in either case
("Émile" under E, "Øyvind" under O, "Łukasz" under L, "Ñoño" under N); a digit, the names that
start with it; "#", every name no letter shows (digits, other scripts, emoji, punctuation).

The main view filters on ``upper(member_name) COLLATE "C"``, the key of the index
cust_vis_name_nick, whose order is code-point order. So each initial is a union of ranges of
that key, one per run of consecutive first characters, each an index range scan. Both cases
of a letter are in its ranges: what ``upper()`` does to a non-ASCII letter depends on the
database's LC_CTYPE (under a "C" ctype "é" stays "é").
"""

from __future__ import annotations

import string
import unicodedata
from functools import cache

INITIALS = (*string.ascii_uppercase, "#", *string.digits)
LETTERS = frozenset(string.ascii_uppercase)
# Latin letters that no canonical decomposition takes to their base letter.
OWN_BASE = dict(zip("ØøŁłĐđÐðĦħŦŧÆæŒœĲĳÞþß", "OOLLDDDDHHTTAAOOIITTS", strict=True))
# Every character that decomposes onto a Latin letter lies below U+2200 (the last ones are the
# Kelvin and Angstrom signs), and Unicode never adds one (its normalization stability policy).
DECOMPOSABLE_BELOW = 0x2200

# A range of the key: from ``low`` (None: from the start) up to ``high`` (None: to the end).
KeyRange = tuple[str | None, str | None]


def base_letter(char: str) -> str:
    """The letter A–Z that ``char`` is, or is built on (any case); "" for any other."""
    if char in OWN_BASE:
        return OWN_BASE[char]
    base = unicodedata.normalize("NFD", char)[0].upper()
    return base if base in LETTERS else ""


@cache
def key_ranges(initial: str) -> tuple[KeyRange, ...]:
    """The ranges of the upper-cased name whose first character shows under ``initial``."""
    if initial in string.digits:
        return ((initial, chr(ord(initial) + 1)),)
    by_letter = _code_points_by_letter()
    if initial in LETTERS:
        return tuple((chr(low), chr(high)) for low, high in _runs(by_letter[initial]))
    # "#": the gaps between the letters' ranges.
    letters = sorted(code for codes in by_letter.values() for code in codes)
    bounds = [None, *(chr(bound) for run in _runs(letters) for bound in run), None]
    return tuple(zip(bounds[::2], bounds[1::2], strict=True))


@cache
def _code_points_by_letter() -> dict[str, list[int]]:
    by_letter: dict[str, list[int]] = {letter: [] for letter in LETTERS}
    for code in range(DECOMPOSABLE_BELOW):
        if letter := base_letter(chr(code)):
            by_letter[letter].append(code)
    return by_letter


def _runs(codes: list[int]) -> list[tuple[int, int]]:
    """Sorted code points as runs [start, end) of consecutive ones."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code:
            runs[-1][1] = code + 1
        else:
            runs.append([code, code + 1])
    return [(start, end) for start, end in runs]
