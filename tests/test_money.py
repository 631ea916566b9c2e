"""One money format on every page ("$1,597.60", mycustomers.money); the CSV keeps plain
numbers (tests/customers/test_main_view_export.py)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

from mycustomers.models import Customer
from mycustomers.money import money
from mycustomers.services import delete_customers
from tests.factories import make_customer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1597.6"), "$1,597.60"),
        (Decimal("0"), "$0.00"),
        (Decimal("0.01"), "$0.01"),
        (Decimal("1234567.891"), "$1,234,567.89"),
        (Decimal("-5"), "-$5.00"),
        (12, "$12.00"),
        ("100", "$100.00"),
    ],
)
def test_money_has_a_dollar_sign_thousands_separators_and_cents(amount, shown):
    assert money(amount) == shown


def test_the_template_filter_is_the_same_format():
    template = Template("{% load money %}{{ amount|money }}|{{ nothing|money }}")
    assert template.render(Context({"amount": Decimal("1597.6"), "nothing": None})) == (
        "$1,597.60|"
    )


def test_no_template_formats_money_by_hand():
    by_hand = re.compile(r"\$\{\{|floatformat")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in [*(ROOT / "templates").rglob("*.html"), *(ROOT / "templates").rglob("*.jinja")]
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert offenders == [], "use {% load money %}{{ amount|money }}"


def test_no_python_code_formats_money_by_hand():
    by_hand = re.compile(r"\$\{|,\.2f")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("mycustomers", "contacts", "lists")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path != ROOT / "mycustomers" / "money.py"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert offenders == [], "use mycustomers.money.money()"


@pytest.mark.django_db
def test_the_deleted_customers_page_shows_earnings_with_thousands_separators(owner, owner_client):
    gone = make_customer(owner, "Gone", amount="1597.60")
    delete_customers(performer=owner, customers=Customer.objects.filter(pk=gone.pk))
    content = owner_client.get(reverse("customers:deleted")).content.decode()
    assert "$1,597.60" in content
    assert "$1597.60" not in content
