"""Numbers from requests are ASCII digits, nothing else (mycustomers.numbers)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mycustomers.numbers import PAST_THE_END, ascii_int, page_number
from tests.factories import make_customer


@pytest.mark.parametrize("value", ["²", "٣", "1e2", "-1", " 1", "1.0", "", None, "9" * 19])
def test_anything_but_ascii_digits_is_not_a_number(value):
    assert ascii_int(value) is None


def test_ascii_digits_are_a_number():
    assert ascii_int("0042") == 42


@pytest.mark.parametrize(("value", "page"), [("3", 3), ("0", 1), ("²", 1), ("٣", 1), (None, 1)])
def test_a_page_number_falls_back_to_the_first_page(value, page):
    assert page_number(value) == page


def test_a_very_long_page_number_is_past_the_end():
    assert page_number("9" * 40) == PAST_THE_END


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["²", "٣", "1e2"])
def test_the_deleted_page_shows_page_one_for_a_non_ascii_page(owner_client, page):
    response = owner_client.get(reverse("customers:deleted"), {"page": page})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("list_id", ["²", "٣"])
def test_a_selection_with_a_non_ascii_list_id_is_a_400(owner_client, owner, list_id):
    alice = make_customer(owner, "alice")
    response = owner_client.get(
        reverse("customers:block"), {"ids": alice.pk, "list": list_id, "scope": "all"}
    )
    assert response.status_code == 400
