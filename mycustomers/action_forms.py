"""Forms of the mass actions (SPEC §4).

A selection is either the checked rows (``ids``) or "every customer in this view"
(``scope=all``), which the server re-evaluates from the view's own filters (``q``,
``letter``, ``list`` and every range and state filter, through the main view's
``CustomerFilter``) and the performer, never from a list of ids sent by the browser.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.utils.http import url_has_allowed_host_and_scheme

from lists.models import CustomerList
from lists.services import clean_list_name
from mycustomers.errors import ActionError
from mycustomers.filters import CustomerFilter
from mycustomers.forms import own_lists_field
from mycustomers.models import Customer, Performer
from mycustomers.numbers import ascii_int
from mycustomers.once import token_field

MAX_SELECTED_IDS = 1000
# Also the main view's hint beside the action buttons (templates/customers/_mass_actions.jinja).
NOTHING_SELECTED = "Check the customers to act on first, or select all in this view."


class SelectionForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    scope = forms.ChoiceField(
        choices=[("", "Checked rows"), ("all", "All in view")], required=False
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, performer: Performer, **kwargs):
        super().__init__(*args, **kwargs)
        self.performer = performer
        # Any whole number is a valid *choice*; ownership is checked in clean().
        self.fields["ids"].valid_value = lambda value: ascii_int(value) is not None
        # The view's own filters, evaluated again here: "all in this view" is what they
        # select now, never a list of ids sent by the browser (F3).
        self.view = CustomerFilter(
            self.data,
            queryset=Customer.objects.for_performer(performer),
            performer=performer,
        )

    def clean_next(self) -> str:
        target = self.cleaned_data["next"]
        if target.startswith("/customers/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts=None
        ):
            return target
        return "/customers/"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("scope") == "all":
            if not self.view.is_valid():
                fields = ", ".join(self.view.error_labels()) or "the filters"
                raise forms.ValidationError(f"This view's filters are not valid ({fields}).")
            if self.data.get("letter") and not self.view.form.cleaned_data["letter"]:
                # The main view ignores a letter it does not know; an action must not guess.
                raise forms.ValidationError("Choose a letter, a digit or #.")
            self.customers = self.view.qs
        else:
            ids = set(data.get("ids") or [])
            if not ids:
                raise forms.ValidationError(NOTHING_SELECTED, code="nothing_selected")
            if len(ids) > MAX_SELECTED_IDS:
                raise forms.ValidationError(
                    f"Select at most {MAX_SELECTED_IDS:,} customers by hand, or use "
                    "“Select all customers in this view”."
                )
            self.customers = Customer.objects.for_performer(self.performer).filter(pk__in=ids)
            # 404-style refusal without saying which ids exist elsewhere.
            if self.customers.count() != len(ids):
                raise forms.ValidationError("Some of the selected customers are not yours.")
        return data

    @property
    def is_empty(self) -> bool:
        """Nothing ticked and not "all in this view": the only error, if any."""
        return self.has_error(NON_FIELD_ERRORS, "nothing_selected")

    @property
    def is_all_in_view(self) -> bool:
        return self.cleaned_data.get("scope") == "all"

    def hidden_items(self) -> list[tuple[str, str]]:
        """The selection as (name, value) pairs, to carry it from a page to its POST."""
        data = self.cleaned_data
        pairs = [(name, data[name]) for name in ("scope", "next") if data.get(name)]
        if self.is_all_in_view:
            pairs += self.view.active()
        else:
            pairs += [("ids", str(pk)) for pk in sorted(set(data["ids"]))]
        return pairs

    def preview(self, limit: int = 5) -> QuerySet:
        return self.customers.order_by("member_name").only("member_name", "nickname")[:limit]


class ComposeForm(forms.Form):
    token = token_field()  # submitted twice, sent once
    subject = forms.CharField(
        label="Subject", max_length=200, error_messages={"required": "Enter a subject."}
    )
    body = forms.CharField(
        label="Message",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "Write a message."},
    )


class OneListForm(forms.Form):
    """Add to List / Remove from List (F7): one of the performer's lists (Add may create it)."""

    customer_list = forms.ModelChoiceField(
        label="List",
        queryset=CustomerList.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "That list does not exist (any more)."},
    )
    new_list = forms.CharField(
        label="Or create a new list", required=False, max_length=200, help_text="1–60 characters."
    )

    def __init__(self, *args, performer, can_create: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.performer = performer
        self.fields["customer_list"].queryset = CustomerList.objects.for_performer(performer)
        if not can_create:
            del self.fields["new_list"]

    def clean(self):
        data = super().clean()
        name = (data.get("new_list") or "").strip()
        if name:
            try:
                data["new_list"] = clean_list_name(performer=self.performer, name=name)
            except ActionError as error:
                self.add_error("new_list", str(error))
        elif not data.get("customer_list") and not self.errors:
            raise forms.ValidationError("Choose a list.")
        return data


class AssignForm(forms.Form):
    lists = own_lists_field()
    new_list = forms.CharField(
        label="Create a new list and assign to it too",
        required=False,
        max_length=200,
        help_text="Optional. 1–60 characters.",
    )

    def __init__(self, *args, performer, **kwargs):
        super().__init__(*args, **kwargs)
        self.performer = performer
        self.fields["lists"].queryset = CustomerList.objects.for_performer(performer)

    def clean_new_list(self) -> str:
        name = self.cleaned_data["new_list"]
        if not name.strip():
            return ""
        try:
            return clean_list_name(performer=self.performer, name=name)
        except ActionError as error:
            raise forms.ValidationError(str(error)) from error
