"""The import's one-pass check of plain rows (``_plain_row``) against the general rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest

from contacts import importing
from contacts.importing import BadRow, parse_record
from contacts.services import event_time_range

BASE = {
    "performer": "demo",
    "member": "SilverFox",
    "type": "chat",
    "occurred_at": "2025-03-01T10:00:00+00:00",
}

CASES = [
    {},
    {"performer": " demo "},
    {"performer": "   "},
    {"performer": "de\x00mo"},
    {"member": " SilverFox"},
    {"member": "x" * 200},
    {"member": ""},
    {"type": " chat "},
    {"type": "Chat"},
    {"type": ""},
    {"occurred_at": "2025-03-01T10:00:00"},
    {"occurred_at": "2025-03-01T10:00:00Z"},
    {"occurred_at": " 2025-03-01 10:00+02:00 "},
    {"occurred_at": "1989-12-31T23:59:59+00:00"},
    {"occurred_at": "2999-01-01T00:00:00+00:00"},
    {"occurred_at": "yesterday"},
    {"amount": "42.50"},
    {"amount": "99999999.99"},
    {"amount": "100000000"},
    {"amount": "1.500"},
    {"amount": "1.505"},
    {"amount": "+5"},
    {"amount": "-0"},
    {"amount": " 3 "},
    {"amount": "1e2"},
    {"amount": "٣"},
    {"amount": Decimal("0")},
    {"amount": 0},
    {"amount": False},
    {"quantity": "1"},
    {"quantity": "01"},
    {"quantity": "0"},
    {"quantity": "1000000"},
    {"quantity": "1000001"},
    {"quantity": "²"},
    {"quantity": 0},
    {"quantity": 12},
    {"reference": " P-1 "},
    {"reference": "   "},
    {"reference": 0},
    {"reference": "x" * 65},
    {"reference": " " + "x" * 64},
    {"summary": "x" * 500},
    {"summary": "x" * 501},
    {"summary": "a\x00b"},
    {"summary": False},
    {"member": 7},
]


def outcome(record: dict) -> object:
    try:
        return parse_record(3, record, event_time_range())
    except BadRow as exc:
        return str(exc)


@pytest.mark.parametrize("change", CASES, ids=repr)
def test_the_one_pass_check_agrees_with_the_general_rules(change):
    record = {**BASE, **change}
    fast = outcome(record)
    with mock.patch.object(importing, "_plain_row", return_value=None):
        general = outcome(record)
    assert fast == general
    if not isinstance(general, str):
        assert fast.event.amount.as_tuple() == general.event.amount.as_tuple()


def test_a_plain_row_takes_the_one_pass_check():
    row = importing._plain_row(3, {**BASE, "amount": "1.50", "quantity": "2"}, event_time_range())
    assert row == importing.Row(
        3,
        "demo",
        importing.NewEvent(
            "SilverFox", "chat", datetime(2025, 3, 1, 10, tzinfo=UTC), Decimal("1.50"), 2
        ),
    )


def test_a_batch_checks_times_against_one_clock_reading():
    records = [(n, dict(BASE)) for n in range(2, 7)]
    with mock.patch.object(importing, "event_time_range", wraps=event_time_range) as clock:
        batches = list(importing._parsed_batches(records, 2, 0))
    assert [len(batch) for batch, _ in batches] == [2, 2, 1]
    assert clock.call_count == 3  # one a batch, not one a row
