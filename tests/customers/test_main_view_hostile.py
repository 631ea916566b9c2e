"""Bad or hostile query values on the main view (M13): defaults or a clear 400, never a 500."""

from __future__ import annotations

import pytest

from lists.models import CustomerList
from tests.customers.main_view_helpers import LIST_URL, customer, days_ago, names

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(owner):
    for n in range(25):
        customer(owner, f"c{n:02d}", last_contact=days_ago(n + 1))


FALLS_BACK_TO_THE_DEFAULT_VIEW = [
    "sort=nonsense",
    "sort=-",
    "sort=%00",
    "sort=customer&sort=nonsense",
    "page=0",
    "page=-5",
    "page=%ff",
    "page=" + "9" * 5000,
    "per_page=10000",
    "per_page=-20",
    "per_page=1e3",
    "letter=%%",
    "letter=%25%25",
    "letter=%ff",
    "letter=%00",
    "q=%ff",  # not UTF-8: decoded as U+FFFD and searched for like any text
    "q=%c3%28",
    "q=",
    "list=",
    "_export=csv",
    "unknown=1",
    "q=a&q=",  # repeated: the last one counts
    "page=1&page=1&page=1",
]


@pytest.mark.parametrize("query", FALLS_BACK_TO_THE_DEFAULT_VIEW)
def test_a_bad_value_never_errors(owner_client, rows, query):
    response = owner_client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200
    assert len(names(response)) <= 20


@pytest.mark.parametrize(
    "query", ["sort=bogus", "page=0", "per_page=10000", "letter=%%", "sort=customer&sort=bogus"]
)
def test_a_bad_sort_page_size_or_letter_shows_the_default_first_page(owner_client, rows, query):
    response = owner_client.get(f"{LIST_URL}?{query}")
    assert names(response) == [f"c{n:02d}" for n in range(20)]


def test_a_page_far_past_the_end_shows_the_last_page(owner_client, rows):
    response = owner_client.get(f"{LIST_URL}?page=999999")
    assert names(response) == [f"c{n:02d}" for n in range(20, 25)]


def test_garbage_is_not_carried_into_the_pages_links(owner_client, rows):
    response = owner_client.get(f"{LIST_URL}?sort=%3Cscript%3E&per_page=10000&letter=%25%25")
    content = response.content.decode()
    assert "<script>" not in content.split("</head>")[1]
    assert "per_page=10000" not in content
    assert response.context["state"].params() == []


def test_ten_kilobytes_of_search_text_is_a_clear_400(owner_client, rows):
    response = owner_client.get(LIST_URL, {"q": "x" * 10_000})

    assert response.status_code == 400
    assert names(response) == []
    content = response.content.decode()
    assert "Search for at most 100 characters." in content
    assert 'aria-invalid="true"' in content
    assert "x" * 200 not in content  # not echoed back


def test_a_100_character_search_is_fine(owner_client, rows):
    response = owner_client.get(LIST_URL, {"q": "c" * 100})
    assert response.status_code == 200


def test_a_nul_character_in_the_search_is_a_400_not_a_database_error(owner_client, rows):
    response = owner_client.get(f"{LIST_URL}?q=a%00b")
    assert response.status_code == 400


def test_non_utf8_search_text_is_searched_for_harmlessly(owner_client, rows):
    response = owner_client.get(f"{LIST_URL}?q=%ff%fe")
    assert response.status_code == 200
    assert names(response) == []


def test_repeated_parameters_use_the_last_value(owner_client, rows):
    response = owner_client.get(f"{LIST_URL}?q=zzz&q=c0&sort=-customer&sort=customer")
    assert names(response) == [f"c{n:02d}" for n in range(10)]


def test_another_performers_list_id_is_a_400(owner_client, colleague, rows):
    theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
    assert owner_client.get(f"{LIST_URL}?list={theirs.pk}").status_code == 400


def test_a_huge_list_id_is_a_400(owner_client, rows):
    assert owner_client.get(f"{LIST_URL}?list={'9' * 5000}").status_code == 400
