"""Figures about one customer: the detail page's insights (SPEC D2, D3), and the contact
history's window (D10) and monthly chart (D11).

Counters on the customer row answer what they can (earnings, first and last contact); the
rest is one grouped query per page over the customer's events (index
``(performer, customer, -occurred_at)``), whatever their number: by type for the insights,
by month for the chart. Each also counts the rows of its page's event table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from contacts.models import ContactEvent, Feedback
from contacts.offers import OfferTotals, offer_totals
from contacts.types import EFFECTS, Channel, types_where
from mycustomers.models import Customer
from mycustomers.money import money

# Ties for the most common channel go to the first of these.
CHANNEL_ORDER = [Channel.CALL, Channel.MAIL, Channel.CHAT, Channel.OTHER]
# The contact history lists calls, mails and chats (D10).
HISTORY_TYPES = types_where(lambda e: e.channel in {Channel.CALL, Channel.MAIL, Channel.CHAT})


@dataclass(frozen=True)
class Insights:
    customer_since: datetime | None
    last_contact: datetime | None
    days_since_last_contact: int | None
    needs_recontact: bool
    recontact_days: int
    paid_purchases: int
    events: int
    channel_counts: dict[str, int]
    most_common_channel: str | None  # a Channel label, None without events
    lifetime_earnings: Decimal
    offers: OfferTotals
    average_rating: Decimal | None
    ratings: int
    rhythm: str  # in words (R5)
    overdue_factor: Decimal | None
    segment: str
    rfm: str
    trend: str  # in words, "" without earnings in the last 180 days

    @property
    def channel_breakdown(self) -> str:
        """Like "call 2, mail 1, chat 1": the channels with events, most first."""
        used = sorted(
            ((label, n) for label, n in self.channel_counts.items() if n),
            key=lambda item: -item[1],
        )
        return ", ".join(f"{label.lower()} {n:,}" for label, n in used)


def customer_insights(customer: Customer, *, now: datetime | None = None) -> Insights:
    now = now or timezone.now()
    performer = customer.performer_id
    by_type = (
        ContactEvent.objects.filter(performer=performer, customer=customer)
        .order_by()
        .values("type")
        .annotate(events=Count("pk"), paid=Count("pk", filter=Q(amount__gt=0)))
    )
    channels = dict.fromkeys(CHANNEL_ORDER, 0)
    paid = total = 0
    for row in by_type:
        channels[EFFECTS[row["type"]].channel] += row["events"]
        paid += row["paid"]
        total += row["events"]
    most_common = max(CHANNEL_ORDER, key=lambda c: (channels[c], -CHANNEL_ORDER.index(c)))
    ratings = Feedback.objects.filter(performer=performer, customer=customer).aggregate(
        average=Avg("rating"), count=Count("pk")
    )
    days = _days_between(customer.last_contact, now)
    threshold = settings.MYCUSTOMERS["RECONTACT_ALERT_DAYS"]
    today = timezone.localdate(now)
    if customer.usual_gap is not None:
        needs_recontact = customer.is_overdue(today)  # their own rhythm (R5) ...
    else:
        needs_recontact = days is not None and days > threshold  # ... or the fixed days (D3)
    return Insights(
        customer_since=customer.first_contact,
        last_contact=customer.last_contact,
        days_since_last_contact=days,
        needs_recontact=needs_recontact,
        recontact_days=threshold,
        paid_purchases=paid,
        events=total,
        channel_counts={Channel(c).label: n for c, n in channels.items()},
        most_common_channel=Channel(most_common).label if total else None,
        lifetime_earnings=customer.earnings,
        offers=offer_totals(performer=customer.performer_id, customer=customer),
        average_rating=(
            Decimal(str(ratings["average"])).quantize(Decimal("0.1"))
            if ratings["average"] is not None
            else None
        ),
        ratings=ratings["count"],
        rhythm=rhythm_in_words(customer, today),
        overdue_factor=customer.overdue_factor(today),
        segment=customer.segment,
        rfm=" ".join(
            f"{letter}{score}" for letter, score in zip("RFM", customer.rfm, strict=False)
        ),
        trend=TREND_WORDS.get(customer.trend, ""),
    )


TREND_WORDS = {
    "up": "Up: the last 90 days earned more than 1.2× the 90 before",
    "steady": "Steady: the last 90 days earned about as much as the 90 before",
    "down": "Down: the last 90 days earned less than 0.8× the 90 before",
    "new": "New: paid in the last 90 days, not in the 90 before",
}


def _days(n: int | Decimal) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def rhythm_in_words(customer: Customer, today: date) -> str:
    """ "Usually every 11 days; quiet for 25 days, 2.3× longer than usual; due Nov 14" (R5)."""
    if customer.usual_gap is None:
        paid = customer.paid_days
        return (
            f"Not enough paid days yet to know their rhythm: {paid} of the 3 needed "
            f"in the last {settings.MYCUSTOMERS['HISTORY_MONTHS']} months."
        )
    gap = int(customer.usual_gap) if customer.usual_gap % 1 == 0 else customer.usual_gap
    quiet = max((today - customer.last_paid_day).days, 0)
    factor = customer.overdue_factor(today)
    due = customer.due_date
    due_text = f"{due:%b} {due.day}" + (f", {due.year}" if due.year != today.year else "")
    if quiet == 0:
        quiet_text = "paid today"
    elif factor > 1:
        quiet_text = f"quiet for {_days(quiet)}, {factor}× longer than usual"
    else:
        quiet_text = f"last paid {_days(quiet)} ago"
    due_word = "was due" if due < today else "due"
    return f"Usually every {_days(gap)}; {quiet_text}; {due_word} {due_text}."


def _days_between(then: datetime | None, now: datetime) -> int | None:
    if then is None:
        return None
    return max((timezone.localdate(now) - timezone.localdate(then)).days, 0)


# --- The history window (D10) -----------------------------------------------------------


def shift_months(day: date, months: int) -> tuple[int, int]:
    """(year, month) ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def history_months(now: datetime | None = None) -> list[date]:
    """First days of the last HISTORY_MONTHS calendar months, the current one included,
    oldest first: the window of the contact history and its chart (D10, D11)."""
    today = timezone.localdate(now or timezone.now())
    count = settings.MYCUSTOMERS["HISTORY_MONTHS"]
    return [date(*shift_months(today, -offset), 1) for offset in range(count - 1, -1, -1)]


def history_since(now: datetime | None = None) -> datetime:
    return timezone.make_aware(datetime.combine(history_months(now)[0], time.min))


# --- The monthly chart (D11) ------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 170
PLOT_TOP = 18
PLOT_BOTTOM = 140
PLOT_LEFT = 8
PLOT_RIGHT = 632


@dataclass(frozen=True)
class Month:
    start: date
    earnings: Decimal
    contacts: int  # every event

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"

    @property
    def short_label(self) -> str:
        return f"{self.start:%b}"

    @property
    def earnings_text(self) -> str:
        return money(self.earnings)


@dataclass(frozen=True)
class Bar:
    month: Month
    x: float
    y: float
    width: float
    height: float
    value_text: str
    label_x: float
    show_year: bool


@dataclass(frozen=True)
class Series:
    title: str
    maximum_text: str
    bars: list[Bar]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT

    @property
    def label_y(self) -> int:
        return PLOT_BOTTOM + 14

    @property
    def year_y(self) -> int:
        return PLOT_BOTTOM + 27

    def svg_bars(self) -> str:
        """Bars and month labels as SVG markup: presentation attributes and classes only
        (no style attributes under our CSP); built here, not in a template loop, because
        32 bars of 8 attributes each cost milliseconds there."""
        return format_html_join(
            "\n",
            '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}">'
            "<title>{}: {}</title></rect>"
            '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>{}',
            (
                (
                    bar.x,
                    bar.y,
                    bar.width,
                    bar.height,
                    bar.month.label,
                    bar.value_text,
                    bar.label_x,
                    self.label_y,
                    bar.month.short_label,
                    format_html(
                        '<text class="chart-year" x="{}" y="{}" text-anchor="middle">{}</text>',
                        bar.label_x,
                        self.year_y,
                        str(bar.month.start.year),
                    )
                    if bar.show_year
                    else "",
                )
                for bar in self.bars
            ),
        )


@dataclass(frozen=True)
class Chart:
    months: list[Month]
    earnings: Series
    contacts: Series
    history_events: int  # calls, mails and chats in the window: the history table's count

    @property
    def is_empty(self) -> bool:
        return not any(m.contacts for m in self.months)

    @property
    def total_earnings(self) -> Decimal:
        return sum((m.earnings for m in self.months), Decimal("0"))

    @property
    def total_earnings_text(self) -> str:
        return money(self.total_earnings)

    @property
    def total_contacts(self) -> int:
        return sum(m.contacts for m in self.months)


@dataclass(frozen=True)
class MonthlyFigures:
    months: list[Month]
    history_events: int


def monthly_figures(customer: Customer, *, now: datetime | None = None) -> MonthlyFigures:
    """Earnings and number of contacts per month over the history window, oldest first
    (months without events are zeros), and the number of calls, mails and chats in it.

    One grouped query over the event index (performer, customer, -occurred_at).
    """
    starts = history_months(now)
    rows = (
        ContactEvent.objects.filter(
            performer=customer.performer_id, customer=customer, occurred_at__gte=history_since(now)
        )
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("month")
        .annotate(
            earnings=Sum("amount"),
            contacts=Count("pk"),
            history_events=Count("pk", filter=Q(type__in=HISTORY_TYPES)),
        )
    )
    found = {timezone.localdate(r["month"]).replace(day=1): r for r in rows}
    months = [
        Month(
            start=start,
            earnings=found[start]["earnings"] if start in found else Decimal("0"),
            contacts=found[start]["contacts"] if start in found else 0,
        )
        for start in starts
    ]
    # Every row, future-dated ones too: the history table shows those as well.
    return MonthlyFigures(months, sum(r["history_events"] for r in found.values()))


def monthly_chart(customer: Customer, *, now: datetime | None = None) -> Chart:
    figures = monthly_figures(customer, now=now)
    months = figures.months
    return Chart(
        months=months,
        earnings=_series("Earnings per month", months, lambda m: m.earnings, money),
        contacts=_series("Contacts per month", months, lambda m: m.contacts, lambda v: f"{v:,}"),
        history_events=figures.history_events,
    )


def _series(title: str, months: list[Month], value, text) -> Series:
    maximum = max((value(m) for m in months), default=0) or 0
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(months)
    width = round(slot * 0.7, 1)
    plot_height = PLOT_BOTTOM - PLOT_TOP
    bars = []
    for i, month in enumerate(months):
        v = value(month)
        height = round(float(v) / float(maximum) * plot_height, 1) if maximum else 0.0
        # A visible sliver for small non-zero months, so "some" never looks like "none".
        if v and height < 2:
            height = 2.0
        x = round(PLOT_LEFT + i * slot + (slot - width) / 2, 1)
        bars.append(
            Bar(
                month=month,
                x=x,
                y=round(PLOT_BOTTOM - height, 1),
                width=width,
                height=height,
                value_text=text(v),
                label_x=round(x + width / 2, 1),
                show_year=i == 0 or month.start.month == 1,
            )
        )
    return Series(title=title, maximum_text=text(maximum), bars=bars)
