"""The main view's rhythm and value (R3, R4): the Due column and its sort, the overdue badge,
the overdue and segment filters, and the CSV columns."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.customers.main_view_helpers import customer, get, names

pytestmark = pytest.mark.django_db


@pytest.fixture
def rhythms(owner):
    today = timezone.localdate()
    return {
        # Paid every 10 days, last 23 days ago: factor 2.3, overdue since 15 days after.
        "late": customer(
            owner, "late", usual_gap=Decimal("10.0"), last_paid_day=today - timedelta(23),
            due_date=today - timedelta(13), overdue_from=today - timedelta(8),
            segment="At risk", trend="down",
        ),
        "soon": customer(
            owner, "soon", usual_gap=Decimal("7.5"), last_paid_day=today - timedelta(2),
            due_date=today + timedelta(6), overdue_from=today + timedelta(10),
            segment="Champions", trend="up",
        ),
        "once": customer(owner, "once", segment="New", trend="new"),
    }  # fmt: skip


def test_the_overdue_filter_and_badge(owner_client, rhythms):
    response = get(owner_client, overdue=1)
    assert names(response) == ["late"]
    assert "overdue 2.3×" in response.content.decode()
    assert "overdue" not in get(owner_client, q="soon").content.decode().split("<tbody")[1]


@pytest.mark.parametrize("value", ["Champions", "champions", "CHAMPIONS"])
def test_the_segment_filter_takes_the_name_in_any_case(owner_client, rhythms, value):
    assert names(get(owner_client, segment=value)) == ["soon"]


@pytest.mark.parametrize("value", ["At risk", "at-risk", "at_risk"])
def test_a_two_word_segment_in_any_spelling(owner_client, rhythms, value):
    assert names(get(owner_client, segment=value)) == ["late"]


def test_several_segments_are_any_of(owner_client, rhythms):
    assert set(names(get(owner_client, segment=["New", "At risk"]))) == {"late", "once"}


def test_an_unknown_segment_is_a_field_error(owner_client, rhythms):
    response = get(owner_client, segment="Whales")
    assert response.status_code == 400
    assert "Choose segments from the list." in response.content.decode()
    assert get(owner_client, overdue="yes").status_code == 400


def test_the_due_cell_shows_the_date_or_a_dash_without_a_rhythm(owner_client, rhythms):
    content = get(owner_client).content.decode()
    due = rhythms["soon"].due_date
    assert f'<time datetime="{due.isoformat()}">{due:%b} {due.day}, {due.year}</time>' in content
    assert '<span class="muted" title="Fewer than 3 paid days">—</span>' in content


def test_sort_by_due_earliest_first_and_no_due_date_last(owner_client, rhythms):
    assert names(get(owner_client, sort="due")) == ["late", "soon", "once"]
    assert names(get(owner_client, sort="-due")) == ["once", "soon", "late"]


def test_the_csv_export_has_the_rhythm_columns(owner_client, rhythms):
    response = owner_client.get(reverse("customers:export"), {"sort": "due"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    late, soon, once = rows
    due = (timezone.localdate() - timedelta(13)).isoformat()
    assert (late["Usual gap (days)"], late["Due date"], late["Overdue factor"]) == (
        "10.0",
        due,
        "2.3",
    )
    assert (late["Segment"], late["Trend"]) == ("At risk", "down")
    assert soon["Usual gap (days)"] == "7.5" and soon["Overdue factor"] == "0.3"
    assert [once[c] for c in ("Usual gap (days)", "Due date", "Overdue factor")] == ["", "", ""]
    assert once["Segment"] == "New"
