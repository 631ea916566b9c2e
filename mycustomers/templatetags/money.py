"""``{{ amount|money }}``: mycustomers.money.money in templates ("" for no amount)."""

from __future__ import annotations

from django import template

from mycustomers.money import money as format_money

register = template.Library()


@register.filter
def money(amount) -> str:
    return "" if amount is None else format_money(amount)
