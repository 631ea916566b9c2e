"""Each customer's rhythm and value (SPEC §11), against an independent computation in Python
from the events."""

from __future__ import annotations

import calendar
import itertools
import random
import statistics
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from contacts import rhythm
from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from mycustomers.models import Customer
from tests.factories import PerformerFactory

pytestmark = pytest.mark.django_db

PAID, FREE = ContactType.MAIL_RECEIVED, ContactType.CHAT


def today(performer) -> date:
    return timezone.localdate(timezone.now(), performer.zone)


def at(performer, day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), performer.zone)


def record(performer, name: str, *moments: tuple[datetime, str]) -> None:
    """Events for ``name`` at ``moments``: (time, amount), an amount of "0" is unpaid."""
    record_events(
        performer=performer,
        events=[
            NewEvent(name, PAID if Decimal(amount) else FREE, when, Decimal(amount))
            for when, amount in moments
        ],
    )


def days_ago(performer, *days: int, amount: str = "5.00") -> list[tuple[datetime, str]]:
    return [(at(performer, today(performer) - timedelta(days=d)), amount) for d in days]


# --- the reference: SPEC §11 written out again, independently ---------------------------


def window_start(day: date) -> date:
    month = day.month - 16
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expected_rhythm(performer, name: str) -> dict:
    customer = Customer.objects.get(performer=performer, member_name=name)
    zone, now = performer.zone, today(performer)
    paid_amounts: dict[date, Decimal] = {}
    for event in customer.events.all():
        day = event.occurred_at.astimezone(zone).date()
        if event.amount > 0 and day >= window_start(now):
            paid_amounts[day] = paid_amounts.get(day, Decimal(0)) + event.amount
    days = sorted(paid_amounts)
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    gap = Decimal(str(statistics.median(gaps))).quantize(Decimal("0.1")) if len(days) >= 3 else None
    recent = sum((a for d, a in paid_amounts.items() if (now - d).days < 90), Decimal(0))
    earlier = sum((a for d, a in paid_amounts.items() if 90 <= (now - d).days < 180), Decimal(0))
    if earlier:
        trend = (
            "up"
            if recent > earlier * Decimal("1.2")
            else ("down" if recent < earlier * Decimal("0.8") else "steady")
        )
    else:
        trend = "new" if recent else ""
    due = overdue_from = None
    if gap is not None:
        due = days[-1] + timedelta(days=int(gap.quantize(Decimal(1), ROUND_HALF_UP)))
        # The first day the factor, to one decimal, is 1.5.
        overdue_from = days[-1]
        while (Decimal((overdue_from - days[-1]).days) / gap).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        ) < Decimal("1.5"):
            overdue_from += timedelta(days=1)
    return {
        "paid_days": len(days),
        "last_paid_day": days[-1] if days else None,
        "window_earnings": sum(paid_amounts.values(), Decimal(0)),
        "usual_gap": gap,
        "due_date": due,
        "overdue_from": overdue_from,
        "trend": trend,
    }


def stored_rhythm(performer, name: str) -> dict:
    customer = Customer.objects.get(performer=performer, member_name=name)
    return {field: getattr(customer, field) for field in rhythm.RHYTHM_FIELDS}


@pytest.fixture
def owner():
    return PerformerFactory(username="owner")


# --- R1, R2 ------------------------------------------------------------------------------


def test_fewer_than_three_paid_days_give_no_usual_gap(owner):
    record(owner, "ann", *days_ago(owner, 20, 10), *days_ago(owner, 5, amount="0"))
    stored = stored_rhythm(owner, "ann")
    assert stored["usual_gap"] is None and stored["due_date"] is None
    assert stored["paid_days"] == 2
    assert stored == expected_rhythm(owner, "ann")


def test_several_purchases_on_one_day_are_one_paid_day_and_unpaid_events_do_not_count(owner):
    record(
        owner,
        "ann",
        *days_ago(owner, 30, 30, 20, 10),
        *days_ago(owner, 25, 15, 1, amount="0"),
    )
    stored = stored_rhythm(owner, "ann")
    assert stored["paid_days"] == 3
    assert stored["usual_gap"] == Decimal("10.0")
    assert stored["due_date"] == today(owner)
    assert stored == expected_rhythm(owner, "ann")


def test_the_median_of_an_even_number_of_gaps_and_the_due_date_rounded_half_up(owner):
    # Gaps 1, 2, 7, 10: median 4.5, so due 5 days after the last paid day.
    record(owner, "ann", *days_ago(owner, 30, 29, 27, 20, 10))
    stored = stored_rhythm(owner, "ann")
    assert stored["usual_gap"] == Decimal("4.5")
    assert stored["due_date"] == today(owner) - timedelta(days=5)
    assert stored == expected_rhythm(owner, "ann")


def test_events_in_any_order_and_separate_batches_give_the_same_rhythm(owner):
    offsets = [400, 350, 200, 170, 120, 95, 60, 44, 30, 7, 3]
    moments = days_ago(owner, *offsets) + days_ago(owner, 100, 50, amount="0")
    random.Random(7).shuffle(moments)
    for start in range(0, len(moments), 4):
        record(owner, "ann", *moments[start : start + 4])
    record(owner, "bob", *sorted(moments))
    assert stored_rhythm(owner, "ann") == stored_rhythm(owner, "bob")
    assert stored_rhythm(owner, "ann") == expected_rhythm(owner, "ann")


def test_the_window_starts_on_the_same_date_16_months_ago(owner):
    start = window_start(today(owner))
    record(owner, "in", (at(owner, start, 1), "5"), *days_ago(owner, 20, 10))
    record(owner, "out", (at(owner, start - timedelta(days=1), 23), "5"), *days_ago(owner, 20, 10))
    assert stored_rhythm(owner, "in")["paid_days"] == 3
    assert stored_rhythm(owner, "out")["paid_days"] == 2
    assert stored_rhythm(owner, "out")["usual_gap"] is None
    rhythm.refresh(owner)
    assert stored_rhythm(owner, "in") == expected_rhythm(owner, "in")
    assert stored_rhythm(owner, "out") == expected_rhythm(owner, "out")


def test_paid_days_are_the_performers_calendar_days():
    tokyo = PerformerFactory(username="tokyo", time_zone="Asia/Tokyo")
    utc = PerformerFactory(username="utc", time_zone="UTC")
    base = timezone.localdate() - timedelta(days=30)
    # 23:30 UTC is the next morning in Tokyo: the UTC days 0, 1, 1 are Tokyo's 1, 1, 2.
    moments = [
        (datetime.combine(base, time(12), ZoneInfo("UTC")), "5"),
        (datetime.combine(base, time(23, 30), ZoneInfo("UTC")), "5"),
        (datetime.combine(base + timedelta(days=1), time(12), ZoneInfo("UTC")), "5"),
        (datetime.combine(base + timedelta(days=1), time(23, 30), ZoneInfo("UTC")), "5"),
    ]
    record(tokyo, "ann", *moments)
    record(utc, "ann", *moments)
    assert stored_rhythm(utc, "ann")["paid_days"] == 2
    assert stored_rhythm(tokyo, "ann")["paid_days"] == 3
    assert stored_rhythm(tokyo, "ann") == expected_rhythm(tokyo, "ann")


@pytest.mark.parametrize(
    "quiet, factor, overdue",
    [(28, "1.4", False), (29, "1.5", True), (30, "1.5", True), (46, "2.3", True)],
)
def test_the_overdue_factor_to_one_decimal_and_overdue_from_1_5(owner, quiet, factor, overdue):
    # Paid every 20 days; quiet 29 days: 1.45, shown 1.5, overdue.
    record(owner, "ann", *days_ago(owner, quiet + 40, quiet + 20, quiet))
    customer = Customer.objects.get(member_name="ann")
    assert customer.usual_gap == Decimal("20.0")
    assert customer.overdue_factor(today(owner)) == Decimal(factor)
    assert customer.is_overdue(today(owner)) is overdue
    assert Customer.objects.overdue(today(owner)).exists() is overdue
    assert stored_rhythm(owner, "ann") == expected_rhythm(owner, "ann")


def test_the_overdue_threshold_follows_the_setting(owner, settings):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "OVERDUE_FACTOR": Decimal("2")}
    record(owner, "ann", *days_ago(owner, 78, 58, 38))  # 38 / 20 = 1.9
    customer = Customer.objects.get(member_name="ann")
    assert not customer.is_overdue(today(owner))
    assert customer.overdue_from == today(owner) + timedelta(days=1)  # 39 / 20 = 1.95 → 2.0


# --- the trend ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recent, earlier, trend",
    [
        ("13", "10", "up"),
        ("12", "10", "steady"),
        ("8", "10", "steady"),
        ("7.99", "10", "down"),
        ("0", "10", "down"),
        ("5", "0", "new"),
        ("0", "0", ""),
    ],
)
def test_the_trend_compares_the_last_90_days_with_the_90_before(owner, recent, earlier, trend):
    record(
        owner,
        "ann",
        *days_ago(owner, 300),  # a paid day before both periods
        *days_ago(owner, 89, amount=recent),  # the first day of the last 90
        *days_ago(owner, 179, amount=earlier),  # the first day of the 90 before
    )
    assert stored_rhythm(owner, "ann")["trend"] == trend
    assert stored_rhythm(owner, "ann") == expected_rhythm(owner, "ann")


# --- R4: scores and segments --------------------------------------------------------------


def test_scores_are_fifths_of_the_paying_customers_and_ties_share_a_score(owner):
    for n in range(1, 6):  # customer n: n paid days, the last n days after the others'
        record(owner, f"c{n}", *days_ago(owner, *(100 + 10 * k - n for k in range(n)), amount=n))
    record(owner, "twin", *days_ago(owner, *(100 + 10 * k - 5 for k in range(5)), amount=5))
    record(owner, "unpaid", *days_ago(owner, 3, amount="0"))
    rhythm.refresh(owner)
    scores = dict(Customer.objects.values_list("member_name", "rfm"))
    # Six paying customers: c5 and its twin tie at the top, 4 of 6 behind them: 1 + 20 // 6.
    assert scores == {
        "c1": "111", "c2": "111", "c3": "222", "c4": "333", "c5": "444", "twin": "444",
        "unpaid": "",
    }  # fmt: skip
    segments = dict(Customer.objects.values_list("member_name", "segment"))
    assert segments["unpaid"] == "" and segments["c1"] == "Lost"
    assert segments["c5"] == segments["twin"] == "Champions"


def documented_segment(r: int, f: int, m: int) -> str:
    """docs/user-guide.md's table, read as a performer would."""
    fm = (f + m + 1) // 2
    if r >= 4:
        return {5: "Champions", 4: "Champions", 3: "Loyal", 2: "Potential", 1: "New"}[fm]
    if r == 3:
        return "Loyal" if fm >= 3 else "Potential"
    if fm == 5:
        return "Can't lose"
    if fm >= 3:
        return "At risk"
    return "Hibernating" if r == 2 else "Lost"


def test_every_score_maps_to_its_documented_segment():
    combos = [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    values = ", ".join(f"({r}, {f}, {m})" for r, f, m in combos)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rhythm.segment_case('p')} FROM (VALUES {values}) p(r, f, m)")
        segments = [row[0] for row in cursor.fetchall()]
    assert segments == [documented_segment(*combo) for combo in combos]
    assert len(set(segments)) == 8


# --- R6: refresh, drift, tenancy -----------------------------------------------------------


def test_refresh_is_idempotent_and_finds_nothing_to_fix_after_it(owner):
    record(owner, "ann", *days_ago(owner, 60, 40, 20))
    record(owner, "bob", *days_ago(owner, 5))
    assert rhythm.refresh(owner) == 2  # the scores and segments are new
    assert rhythm.refresh(owner) == 0
    assert rhythm.find_drift(owner) == []


def test_a_wrong_stored_value_is_drift_and_refresh_repairs_it(owner):
    record(owner, "ann", *days_ago(owner, 60, 40, 20))
    rhythm.refresh(owner)
    Customer.objects.filter(member_name="ann").update(usual_gap=Decimal("3.0"), trend="up")
    (drift,) = rhythm.find_drift(owner)
    assert drift.member_name == "ann"
    assert drift.differences["usual_gap"] == (Decimal("3.0"), Decimal("20.0"))
    assert set(drift.differences) == {"usual_gap", "trend"}
    Customer.objects.filter(member_name="ann").update(segment="Champions")
    rhythm.refresh(owner)
    assert rhythm.find_drift(owner) == []
    assert Customer.objects.get(member_name="ann").segment == "Lost"


def test_another_performers_events_and_refresh_leave_a_customer_alone(owner):
    other = PerformerFactory(username="other")
    record(owner, "ann", *days_ago(owner, 60, 40, 20))
    record(other, "ann", *days_ago(other, 9, 6, 3))
    rhythm.refresh(other)
    mine = Customer.objects.get(performer=owner, member_name="ann")
    assert mine.usual_gap == Decimal("20.0") and mine.segment == ""
    assert Customer.objects.get(performer=other, member_name="ann").usual_gap == Decimal("3.0")
