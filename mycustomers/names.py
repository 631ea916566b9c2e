"""Member names as the main view sorts and letters them (M4, M9): upper-cased, and a Latin
letter with a mark (É, Ø, Ł, ß) folded to its base letter, so that "Émile" sorts among the
E's and appears under E, whatever the database's locale.

The folding is ``translate()`` in SQL and ``str.translate`` in Python with one table, built
here from the Unicode decompositions of the Latin blocks (plus the letters that have none,
such as Ø and Ł); the main view's name index is built on the same expression.
"""

from __future__ import annotations

import string
import unicodedata

from django.db import models
from django.db.models.functions import Collate, Upper

# Latin letters without a decomposition to a base letter.
_UNDECOMPOSED = {
    "Ø": "O", "ø": "O", "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Ð": "D", "ð": "D",
    "Æ": "A", "æ": "A", "Œ": "O", "œ": "O", "Þ": "T", "þ": "T", "ß": "S", "ſ": "S",
    "ẞ": "S", "ı": "I", "Ħ": "H", "ħ": "H", "Ŧ": "T", "ŧ": "T", "Ŋ": "N", "ŋ": "N", "ƒ": "F",
}  # fmt: skip
# Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional.
_LATIN = (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))


def _base_letter(char: str) -> str | None:
    if char in _UNDECOMPOSED:
        return _UNDECOMPOSED[char]
    base = unicodedata.normalize("NFKD", char)[0]
    return base.upper() if base in string.ascii_letters and char.isalpha() else None


_PAIRS = [(c, b) for c in map(chr, _LATIN) if (b := _base_letter(c))]
FOLD_FROM = "".join(c for c, _ in _PAIRS)
FOLD_TO = "".join(b for _, b in _PAIRS)
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def name_key(text: str) -> str:
    """What ``NAME_KEY`` computes in the database, for text typed by the performer."""
    return text.upper().translate(_FOLD)


def _translate(expression) -> models.Func:
    return models.Func(
        expression,
        models.Value(FOLD_FROM),
        models.Value(FOLD_TO),
        function="translate",
        output_field=models.CharField(),
    )


# Code-point order of the folded, upper-cased name: COLLATE "C" makes ranges on it exact
# ("B" ≤ key < "C") and the index order independent of the database locale.
NAME_KEY = Collate(_translate(Upper("member_name")), "C")
