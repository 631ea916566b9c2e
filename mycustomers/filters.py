"""The main view's filters: search, initial letter and display list (M8–M10), and the range
and state filters (F1). The URL parameter names are a public contract (bookmarks, scripts):
see docs/spec.md §10."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import BigIntegerField, CharField, Count, Q, Value
from django.http import QueryDict
from django.utils import timezone

from contacts.types import ContactType
from lists.models import (
    SMART_KEY_PREFIX,
    CustomerList,
    DefaultList,
    SmartList,
    in_list,
    not_in_lists,
)
from mycustomers.counts import cached
from mycustomers.models import Customer, FollowUpStatus, Segment
from mycustomers.money import money

MAX_SEARCH = 100
# The alphanumeric navigation (M9), in the order it is shown: "#" is any digit.
INITIALS = (*string.ascii_uppercase, "#", *string.digits)


class InitialField(forms.CharField):
    """One initial, any case; anything else means "no letter" rather than an error (M13)."""

    def clean(self, value) -> str:
        value = (value or "").strip().upper()
        return value if value in INITIALS else ""


class InitialFilter(django_filters.CharFilter):
    field_class = InitialField


_WHOLE = re.compile(r"[0-9]{1,9}")
_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class WholeNumberField(forms.CharField):
    """0 to 999,999,999 in ASCII digits; anything else ("²", "1e2", "-1") is an error."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "size": 7, "autocomplete": "off"})

    def to_python(self, value) -> int | None:
        value = super().to_python(value).strip()
        if not value:
            return None
        if not _WHOLE.fullmatch(value):
            raise forms.ValidationError("Enter a whole number from 0 to 999,999,999.")
        return int(value)


class AmountField(forms.CharField):
    """Dollars: ASCII digits with at most two decimals, below ten billion."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 9, "autocomplete": "off"})

    def to_python(self, value) -> Decimal | None:
        value = super().to_python(value).strip().removeprefix("$").replace(",", "")
        if not value:
            return None
        if not _AMOUNT.fullmatch(value):
            raise forms.ValidationError("Enter an amount in dollars, such as 100 or 99.50.")
        return Decimal(value)


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a real date as YYYY-MM-DD."}

    def to_python(self, value) -> date | None:
        day = super().to_python(value)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError("Enter a date between 1900 and 2199.")
        return day


def _segment_key(text: str) -> str:
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


SEGMENT_KEYS = {_segment_key(name): name for name in Segment.values}


class SegmentField(forms.MultipleChoiceField):
    """Segment names ignoring case, spaces and punctuation: ``At risk``, ``at-risk``,
    ``cant_lose``."""

    def to_python(self, value) -> list[str]:
        return [SEGMENT_KEYS.get(_segment_key(item), item) for item in super().to_python(value)]


class SegmentFilter(django_filters.MultipleChoiceFilter):
    field_class = SegmentField


class WholeNumberFilter(django_filters.Filter):
    field_class = WholeNumberField


class AmountFilter(django_filters.Filter):
    field_class = AmountField


class DayFilter(django_filters.Filter):
    field_class = DayField


@dataclass(frozen=True)
class Range:
    """A pair of filters ``<name>_min`` / ``<name>_max`` (or ``_after`` / ``_before``)."""

    name: str
    label: str
    low: str
    high: str


def _range_filters(field: str, label: str, kind) -> dict[str, django_filters.Filter]:
    return {
        f"{field}_min": kind(label=f"{label} from", method="filter_at_least"),
        f"{field}_max": kind(label=f"{label} to", method="filter_at_most"),
    }


FOLLOW_UP_CHOICES = [("none", "None"), *[c for c in FollowUpStatus.choices if c[0]]]
COUNTER_LABELS = {
    "live_calls": "Live calls",
    "recorded_calls": "Recorded calls",
    "mail_sent": "Mail sent",
    "mail_received": "Mail received",
    "goody_bags": "Goody bags",
    "chat_volleys": "Chat volleys",
    "feeds": "Feeds",
}
RANGES = (
    Range("quiet", "Quiet days", "quiet_min", "quiet_max"),
    Range("contact", "Last contact", "contact_after", "contact_before"),
    Range("since", "Customer since", "since_after", "since_before"),
    Range("earnings", "Lifetime earnings", "earnings_min", "earnings_max"),
    *(Range(f, label, f"{f}_min", f"{f}_max") for f, label in COUNTER_LABELS.items()),
)


def display_list_choices(performer) -> list:
    """The Display list pull-down (M10): the performer's custom lists, and Affiliate Referral
    once any customer came through the affiliate link (L1). One query, cached until the
    performer's lists or customers change (mycustomers.counts)."""
    return cached(performer, ("display list choices",), lambda: _list_choices(performer))


def _list_choices(performer) -> list:
    kind = CharField()
    custom = (
        CustomerList.objects.for_performer(performer)
        .order_by()
        .values_list("pk", "name", Value("custom", output_field=kind))
    )
    smart = (
        SmartList.objects.for_performer(performer)
        .order_by()
        .values_list("pk", "name", Value("smart", output_field=kind))
    )
    no_list = (Value(None, output_field=BigIntegerField()), Value("", output_field=CharField()))
    affiliate_marker = (
        Customer.objects.for_performer(performer)
        .filter(affiliate_referral=True)
        .order_by()
        .values_list(*no_list, Value("affiliate", output_field=kind))[:1]
    )
    rows = sorted(custom.union(smart, affiliate_marker, all=True), key=lambda r: r[1].casefold())
    defaults = [
        (DefaultList.NEW.value, DefaultList.NEW.label),
        (DefaultList.UNASSIGNED.value, DefaultList.UNASSIGNED.label),
        (DefaultList.BLOCKED.value, DefaultList.BLOCKED.label),
    ]
    if any(kind == "affiliate" for *_, kind in rows):
        defaults.append((DefaultList.AFFILIATE.value, DefaultList.AFFILIATE.label))
    custom_lists = [(str(pk), name) for pk, name, kind in rows if kind == "custom"]
    smart_lists = [(f"{SMART_KEY_PREFIX}{pk}", name) for pk, name, kind in rows if kind == "smart"]
    choices = [("Default lists", defaults)]
    if custom_lists:
        choices.append(("Your lists", custom_lists))
    if smart_lists:
        choices.append(("Smart lists", smart_lists))
    return choices


class FilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        check_ranges(self)
        return data


# ``earnings_min`` … ``feeds_max``: one pair of filters per count column and the earnings.
AmountRangeFilters = type(
    "AmountRangeFilters",
    (django_filters.FilterSet,),
    {
        **_range_filters("earnings", "Lifetime earnings ($)", AmountFilter),
        **{
            name: filter_
            for field, label in COUNTER_LABELS.items()
            for name, filter_ in _range_filters(field, label, WholeNumberFilter).items()
        },
    },
)


class CustomerFilter(AmountRangeFilters):
    """Filters combine (letter B within list "VIP", a search within a list, earnings over $100
    and quiet for 60 days). Invalid input (search text over 100 characters, another
    performer's list id, a date that does not exist, min above max) makes the form invalid:
    the page then shows the error and no rows, with status 400."""

    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=MAX_SEARCH,
        error_messages={"max_length": f"Search for at most {MAX_SEARCH} characters."},
    )
    letter = InitialFilter(label="Member names starting with", method="filter_initial")
    list = django_filters.ChoiceFilter(
        label="Display list",
        empty_label="All customers",
        method="filter_list",
        error_messages={"invalid_choice": "That list does not exist (any more)."},
    )

    quiet_min = WholeNumberFilter(label="Quiet for at least (days)", method="filter_quiet_min")
    quiet_max = WholeNumberFilter(label="Quiet for at most (days)", method="filter_quiet_max")
    contact_after = DayFilter(label="Last contact from", method="filter_contact_after")
    contact_before = DayFilter(label="Last contact to", method="filter_contact_before")
    since_after = DayFilter(label="Customer since from", method="filter_since_after")
    since_before = DayFilter(label="Customer since to", method="filter_since_before")
    type = django_filters.MultipleChoiceFilter(
        label="Last contact type",
        choices=ContactType.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_type",
        error_messages={"invalid_choice": "Choose contact types from the list."},
    )
    follow_up = django_filters.ChoiceFilter(
        label="Follow-up",
        choices=FOLLOW_UP_CHOICES,
        empty_label="Any",
        method="filter_follow_up",
        error_messages={"invalid_choice": "Choose a follow-up status from the list."},
    )
    missed = django_filters.ChoiceFilter(
        label="Missed call to return",
        choices=[("1", "Yes")],
        empty_label="Any",
        method="filter_missed",
        error_messages={"invalid_choice": "Use missed=1."},
    )
    new = django_filters.ChoiceFilter(
        label="New customers only",
        choices=[("1", "Yes")],
        empty_label="Any",
        method="filter_new",
        error_messages={"invalid_choice": "Use new=1."},
    )
    not_list = django_filters.MultipleChoiceFilter(
        label="Not in list",
        widget=forms.CheckboxSelectMultiple,
        method="filter_not_list",
        error_messages={"invalid_choice": "That list does not exist (any more)."},
    )
    overdue = django_filters.ChoiceFilter(
        label="Overdue (quiet much longer than usual)",
        choices=[("1", "Yes")],
        empty_label="Any",
        method="filter_overdue",
        error_messages={"invalid_choice": "Use overdue=1."},
    )
    segment = SegmentFilter(
        label="Segment",
        choices=Segment.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_segment",
        error_messages={"invalid_choice": "Choose segments from the list."},
    )

    class Meta:
        model = Customer
        fields = ()
        form = FilterForm

    def __init__(self, *args, performer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.performer = performer or self.request.user
        self.today = timezone.localdate()
        # Only the performer's own lists are valid choices: another performer's id is an
        # invalid choice, never their rows.
        self.list_choices = display_list_choices(self.performer)
        self.filters["list"].extra["choices"] = self.list_choices
        self.filters["not_list"].extra["choices"] = custom_lists(self.list_choices)

    def get_form_class(self):
        """The form class, built once per set of Display list choices (its fields differ by
        nothing else): building ~36 fields from their filters took a tenth of a page's CPU.
        Each form still copies its fields, so nothing a form changes is shared."""
        key = (type(self), _choices_key(self.list_choices))
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            if len(_FORM_CLASSES) >= MAX_FORM_CLASSES:
                _FORM_CLASSES.clear()
            form_class = _FORM_CLASSES[key] = super().get_form_class()
        return form_class

    def list_label(self, key: str) -> str:
        """The name of a Display list choice, "" for none."""
        for _group, choices in self.list_choices:
            for value, label in choices:
                if value == key:
                    return label
        return ""

    def filter_queryset(self, queryset):
        # With no list chosen the main view still hides blocked and deleted customers (M1);
        # the list filter itself is skipped for an empty value.
        if not self.form.cleaned_data.get("list"):
            queryset = queryset.visible()
        return super().filter_queryset(queryset)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_initial(self, queryset, name, value):
        return queryset.starting_with(value)

    def filter_list(self, queryset, name, value):
        if value.startswith(SMART_KEY_PREFIX):
            rules = self.smart_list_rules(value)
            # AND: the filters applied so far, and the smart list's own.
            return queryset & rules.qs if rules is not None else queryset.none()
        return in_list(queryset, value)

    def smart_list_rules(self, key: str) -> CustomerFilter | None:
        """A smart list's rules as a filter over the same customers (F5): its members now.
        None if it was deleted since the page was drawn."""
        if not hasattr(self, "_smart_rules"):
            found = SmartList.objects.for_performer(self.performer).filter(pk=int(key[1:]))
            rules = found.values_list("rules", flat=True).first()
            self._smart_rules = (
                CustomerFilter(QueryDict(rules), queryset=self.queryset, performer=self.performer)
                if rules
                else None
            )
        return self._smart_rules

    def filter_quiet_min(self, queryset, name, value):
        return queryset.quiet_for_at_least(value, self.today)

    def filter_quiet_max(self, queryset, name, value):
        return queryset.quiet_for_at_most(value, self.today)

    def filter_contact_after(self, queryset, name, value):
        return queryset.last_contact_on_or_after(value)

    def filter_contact_before(self, queryset, name, value):
        return queryset.last_contact_on_or_before(value)

    def filter_since_after(self, queryset, name, value):
        return queryset.first_contact_on_or_after(value)

    def filter_since_before(self, queryset, name, value):
        return queryset.first_contact_on_or_before(value)

    def filter_at_least(self, queryset, name, value):
        return queryset.at_least(name.removesuffix("_min"), value)

    def filter_at_most(self, queryset, name, value):
        return queryset.at_most(name.removesuffix("_max"), value)

    def filter_type(self, queryset, name, value):
        return queryset.last_contact_type_in(value)

    def filter_follow_up(self, queryset, name, value):
        return queryset.with_follow_up("" if value == "none" else value)

    def filter_missed(self, queryset, name, value):
        return queryset.with_missed_call()

    def filter_new(self, queryset, name, value):
        return queryset.new()

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(self.today)

    def filter_segment(self, queryset, name, value):
        return queryset.in_segments(value)

    def filter_not_list(self, queryset, name, value):
        return not_in_lists(queryset, [int(pk) for pk in value])

    # What the view needs to know of the cleaned filters.

    def active(self) -> list[tuple[str, str]]:
        """The active filters as URL pairs, in declaration order (repeatable ones once a value)."""
        return self.kept() if self.is_valid() else []

    def kept(self) -> list[tuple[str, str]]:
        """The valid filters as URL pairs, even when others are not: what the page keeps (the
        search box, chips, links) while it says which field is wrong."""
        self.is_valid()  # cleans the form: its cleaned_data holds the fields without errors
        pairs = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, item.isoformat() if isinstance(item, date) else str(item)))
        return pairs

    def ages(self) -> bool:
        """Whether the rows can change with time alone (so their count cannot be cached)."""
        data = self.form.cleaned_data
        key = data.get("list") or ""
        if key.startswith(SMART_KEY_PREFIX):
            rules = self.smart_list_rules(key)
            return rules is not None and rules.ages()
        return bool(data.get("new")) or (key in DefaultList and DefaultList(key).ages)

    def shows_blocked(self) -> bool:
        """Whether the rows are the Blocked list's (directly or through a smart list)."""
        key = (self.form.cleaned_data.get("list") or "") if self.is_valid() else ""
        if key.startswith(SMART_KEY_PREFIX):
            rules = self.smart_list_rules(key)
            return rules is not None and rules.shows_blocked()
        return key == DefaultList.BLOCKED

    def cache_key(self) -> tuple:
        """What the view's counts depend on besides the data: the filters, today's date
        (quiet days count from it) and the time zone (date filters are its days)."""
        return (tuple(self.active()), self.today.isoformat(), timezone.get_current_timezone_name())

    def error_labels(self) -> list[str]:
        """The labels of the fields in error, to name them above the table."""
        fields = self.form.fields
        return [str(fields[name].label) for name in self.form.errors if name in fields]


# Form classes by performer's list choices (CustomerFilter.get_form_class): a few per
# performer, bounded.
_FORM_CLASSES: dict[tuple, type[forms.Form]] = {}
MAX_FORM_CLASSES = 1000


def _choices_key(choices: list) -> tuple:
    return tuple(
        (str(group), tuple((str(value), str(label)) for value, label in options))
        for group, options in choices
    )


def custom_lists(choices: list) -> list[tuple[str, str]]:
    """The custom lists among Display list choices."""
    return [choice for group, options in choices if group == "Your lists" for choice in options]


def check_ranges(form: forms.Form) -> None:
    """Min above max (or a start after the end) is an error on the second field."""
    data = form.cleaned_data
    for r in RANGES:
        low, high = data.get(r.low), data.get(r.high)
        if low is not None and high is not None and low > high:
            form.add_error(r.high, f"{r.label}: the end must not be before the start.")


@dataclass(frozen=True)
class FilterGroup:
    """A row of the Filters panel: a legend and its fields (bound fields of the form)."""

    legend: str
    fields: list
    kind: str  # "range", "choices" or "flags"


def filter_groups(form: forms.Form) -> list[FilterGroup]:
    """The Filters panel (F2), in the order it is shown; fields in error say so to assistive
    technology (their errors are listed under ``<id>-errors``)."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"{form[name].auto_id}-errors"}
            )
    groups = [FilterGroup(r.label, [form[r.low], form[r.high]], "range") for r in RANGES]
    groups.append(FilterGroup("Last contact type", [form["type"]], "choices"))
    groups.append(FilterGroup("Follow-up and flags", [form["follow_up"]], "flags"))
    groups.append(FilterGroup("Segment", [form["segment"]], "choices"))
    if form.fields["not_list"].choices or form["not_list"].errors:
        groups.append(FilterGroup("Not in list", [form["not_list"]], "choices"))
    return groups


_BOUNDS = {r.low: (r, "≥") for r in RANGES} | {r.high: (r, "≤") for r in RANGES}
_DATE_BOUNDS = {"contact_after", "contact_before", "since_after", "since_before"}


def chip_text(form: forms.Form, name: str, value: str) -> str:
    """What an active filter's chip says: "Quiet days ≥ 60", "Lifetime earnings ≥ $100.00",
    "Last contact type: Chat"."""
    if name in _BOUNDS:
        bound, op = _BOUNDS[name]
        if name in _DATE_BOUNDS:
            op = "from" if op == "≥" else "to"
        shown = money(value) if bound.name == "earnings" else value
        return f"{bound.label} {op} {shown}"
    field = form.fields[name]
    choices = dict(getattr(field, "choices", ()))
    for group in choices.copy().values():  # grouped choices (the Display list)
        if isinstance(group, list | tuple):
            choices.update(group)
    if name in ("missed", "new", "overdue"):
        return str(field.label)
    return f"{field.label}: {choices.get(value, value)}"


def smart_list_rules(data: QueryDict, performer) -> str:
    """The filters of a main view as a smart list's rules: the view's valid filters without
    rows-per-page, sort or page, and never another smart list (a smart list in its own
    rules would never end). Raises ``forms.ValidationError`` naming what is wrong."""
    view = CustomerFilter(data, queryset=Customer.objects.none(), performer=performer)
    if not view.is_valid():
        raise forms.ValidationError(f"Correct {', '.join(view.error_labels())} first.")
    pairs = view.active()
    if any(name == "list" and value.startswith(SMART_KEY_PREFIX) for name, value in pairs):
        raise forms.ValidationError("A smart list cannot be built on another smart list.")
    if not pairs:
        raise forms.ValidationError("Choose at least one filter first.")
    return urlencode(pairs)


def smart_list_counts(performer, smart_lists: list[SmartList]) -> dict[int, int | None]:
    """Each smart list's members now (F5), in one query; None for rules no longer valid
    (e.g. a list they leave out was deleted). Cached until the performer's data changes, and
    for one day (quiet days count from today), unless some rules change with time alone."""
    customers = Customer.objects.for_performer(performer)
    rules = {
        lst.pk: CustomerFilter(QueryDict(lst.rules), queryset=customers, performer=performer)
        for lst in smart_lists
    }
    valid = {pk: view for pk, view in rules.items() if view.is_valid()}

    def count() -> dict[int, int | None]:
        if not valid:
            return {}
        counts = customers.aggregate(
            **{
                f"s{pk}": Count("pk", filter=Q(pk__in=view.qs.values("pk")))
                for pk, view in valid.items()
            }
        )
        return {pk: counts[f"s{pk}"] for pk in valid}

    key = (
        "smart list counts",
        timezone.localdate().isoformat(),
        timezone.get_current_timezone_name(),
        tuple(sorted((lst.pk, lst.rules) for lst in smart_lists)),
    )
    counted = count() if any(v.ages() for v in valid.values()) else cached(performer, key, count)
    return {pk: counted.get(pk) for pk in rules}


def rules_summary(rules: str, performer) -> str:
    """A smart list's rules as its chips read: "Lifetime earnings ≥ $100.00 · Quiet days ≥ 60"."""
    view = CustomerFilter(QueryDict(rules), queryset=Customer.objects.none(), performer=performer)
    if not view.is_valid():
        return "These rules are no longer valid (a list they name was deleted): edit them."
    return " · ".join(chip_text(view.form, *pair) for pair in view.active())
