"""The main view's filters (M8–M10): search, initial letter and display list."""

from __future__ import annotations

import string

import django_filters
from django import forms
from django.db.models import BigIntegerField, CharField, Value

from lists.models import CustomerList, DefaultList, in_list
from mycustomers.counts import cached
from mycustomers.models import Customer

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


def display_list_choices(performer) -> list:
    """The Display list pull-down (M10): the performer's custom lists, and Affiliate Referral
    once any customer came through the affiliate link (L1). One query, cached until the
    performer's lists or customers change (mycustomers.counts)."""
    return cached(performer, ("display list choices",), lambda: _list_choices(performer))


def _list_choices(performer) -> list:
    custom = CustomerList.objects.for_performer(performer).order_by().values_list("pk", "name")
    no_list = (Value(None, output_field=BigIntegerField()), Value("", output_field=CharField()))
    affiliate_marker = (
        Customer.objects.for_performer(performer)
        .filter(affiliate_referral=True)
        .order_by()
        .values_list(*no_list)[:1]
    )
    rows = list(custom.union(affiliate_marker, all=True))
    has_affiliate = any(pk is None for pk, _name in rows)
    defaults = [
        (DefaultList.NEW.value, DefaultList.NEW.label),
        (DefaultList.UNASSIGNED.value, DefaultList.UNASSIGNED.label),
        (DefaultList.BLOCKED.value, DefaultList.BLOCKED.label),
    ]
    if has_affiliate:
        defaults.append((DefaultList.AFFILIATE.value, DefaultList.AFFILIATE.label))
    custom_lists = sorted(
        ((str(pk), name) for pk, name in rows if pk is not None), key=lambda c: c[1].casefold()
    )
    choices = [("Default lists", defaults)]
    if custom_lists:
        choices.append(("Your lists", custom_lists))
    return choices


class CustomerFilter(django_filters.FilterSet):
    """Filters combine (letter B within list "VIP", a search within a list). Invalid input
    (search text over 100 characters, another performer's list id) makes the form invalid:
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

    class Meta:
        model = Customer
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the performer's own lists are valid choices: another performer's id is an
        # invalid choice, never their rows.
        self.list_choices = display_list_choices(self.request.user)
        self.filters["list"].extra["choices"] = self.list_choices

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
        return in_list(queryset, value)
