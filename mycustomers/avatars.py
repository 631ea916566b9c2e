"""Initials avatars: the customer cell of the main view and the detail page's header."""

from __future__ import annotations

import re
import zlib

AVATAR_TONES = 8  # .avatar-tone-0 … -7 in static/css/base.css
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def initials(name: str) -> str:
    """Up to two letters for the avatar: "john_doe" → "JD", "BigSpender" → "BS",
    "Member0042" → "ME"."""
    words = _WORDS.findall(name)
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    letters = words[0] if words else "".join(c for c in name if c.isalnum())
    return (letters[:2] or "?").upper()


def avatar_tone(name: str) -> int:
    """A stable colour class per name (CSS classes, not inline styles: strict CSP)."""
    return zlib.crc32(name.encode()) % AVATAR_TONES
