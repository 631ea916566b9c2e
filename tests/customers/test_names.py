"""Names as the main view sorts and letters them (mycustomers.names): the database's key and
the one computed in Python for typed text agree."""

from __future__ import annotations

import pytest

from mycustomers.models import Customer
from mycustomers.names import FOLD_FROM, FOLD_TO, NAME_KEY, name_key
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

NAMES = ["Émile", "émile", "Øyvind", "Łukasz", "ẞtefan", "Ærø", "Ðora", "Ấn", "bob", "7even", "李"]


def test_the_fold_maps_each_letter_to_one_ascii_capital():
    assert len(FOLD_FROM) == len(FOLD_TO) == len(set(FOLD_FROM))
    assert set(FOLD_TO) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_python_and_the_database_compute_the_same_key(owner):
    for name in NAMES:
        make_customer(owner, name)
    keys = dict(
        Customer.objects.for_performer(owner)
        .annotate(key=NAME_KEY)
        .values_list("member_name", "key")
    )
    assert keys == {name: name_key(name) for name in NAMES}
    assert name_key("Émile") == "EMILE" and name_key("李") == "李"
