"""The Filters panel (F2) as the main view's template reads it, rendered once per performer's
data version and the values in its fields.

Its ~26 fields cost a page more than the table's rows did (each bound field builds its
widget's attributes and value, then renders it): their HTML and what the template reads of
them are kept with the view's counts (mycustomers.counts). The panel shows nothing else
than the form's values in those fields, their errors (which follow from the values and the
performer's lists) and the performer's lists (a new data version when they change).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from mycustomers.counts import cached
from mycustomers.filters import FilterGroup, filter_groups


@dataclass(frozen=True)
class RenderedField:
    """What the panel's template reads of a bound field."""

    html: SafeString
    id_for_label: str
    auto_id: str
    label: str
    errors: list

    @classmethod
    def of(cls, bound: forms.BoundField) -> RenderedField:
        return cls(
            bound.__html__(), bound.id_for_label, bound.auto_id, bound.label, list(bound.errors)
        )

    def __html__(self) -> SafeString:
        return self.html

    def __str__(self) -> str:
        return self.html


def panel_groups(form: forms.Form, performer) -> list[FilterGroup]:
    """``filter_groups(form)`` with rendered fields, cached."""
    groups = filter_groups(form)
    values = tuple(
        (bound.html_name, tuple(form.data.getlist(bound.html_name)))
        for group in groups
        for bound in group.fields
    )
    return cached(
        performer,
        ("filter panel", get_language(), values),
        lambda: [
            FilterGroup(group.legend, [RenderedField.of(b) for b in group.fields], group.kind)
            for group in groups
        ],
    )
