"""Initials avatars: the customer cell of the main view and the detail page's header."""

from __future__ import annotations

import re
import zlib

AVATAR_TONES = 8  # .avatar-tone-0 … -7 in static/css/base.css
# Runs of letters (any script: \W is Unicode-aware); digits and "_" separate words too.
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def initials(name: str) -> str:
    """Up to two letters for the avatar: "john_doe" → "JD", "BigSpender" → "BS",
    "Member0042" → "ME"."""
    words = _words(name)
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    letters = words[0] if words else "".join(c for c in name if c.isalnum())
    return (letters[:2] or "?").upper()


def avatar_tone(name: str) -> int:
    """A stable colour class per name (CSS classes, not inline styles: strict CSP)."""
    return zlib.crc32(name.encode()) % AVATAR_TONES


def _words(name: str) -> list[str]:
    """The name's words: runs of letters, split where camel case starts a word ("BigSpender",
    "ABCdef" → "AB", "Cdef"), in any script ("ÉlodieÖzil")."""
    words = []
    for run in _NOT_LETTERS.split(name):
        start = 0
        for i in range(1, len(run)):
            after_lower = run[i - 1].islower()
            before_lower = i + 1 < len(run) and run[i + 1].islower()
            if run[i].isupper() and (after_lower or before_lower):
                words.append(run[start:i])
                start = i
        if run:
            words.append(run[start:])
    return words
