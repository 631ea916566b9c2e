"""Money as every page shows it: a dollar sign, thousands separators and cents ("$1,597.60",
"-$5.00"). Templates use the ``money`` filter (``{% load money %}``); the CSV export keeps
plain numbers ("1597.60") for spreadsheets."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal | int | str) -> str:
    value = Decimal(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
