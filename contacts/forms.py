"""Forms for notes (SPEC D6) and offers (D1 Send Offer) on one customer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from contacts.notes import MAX_NOTE
from contacts.offers import MAX_MESSAGE, MAX_VALUE, MIN_VALUE
from mycustomers.money import money
from mycustomers.once import token_field

MAX_OFFER_DAYS = 5 * 366


def at_most(limit: int, what: str):
    """A length check whose message shows both numbers readably ("100,000", not "100000");
    the widget gets ``maxlength`` too, so browsers stop typing at the limit."""

    def validate(value: str) -> None:
        if len(value) > limit:
            raise forms.ValidationError(
                f"{what} can be at most {limit:,} characters (this one has {len(value):,})."
            )

    return validate


class LimitedCharField(forms.CharField):
    def __init__(self, *, limit: int, what: str, **kwargs):
        super().__init__(validators=[at_most(limit, what)], **kwargs)
        self.widget.attrs.setdefault("maxlength", str(limit))


class NoteForm(forms.Form):
    token = token_field()  # added twice, saved once (an edit ignores it)
    body = LimitedCharField(
        label="Note",
        limit=MAX_NOTE,
        what="Notes",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write something before saving the note."},
    )


class OfferForm(forms.Form):
    token = token_field()  # submitted twice, sent once
    value = forms.DecimalField(
        label="Value ($)",
        min_value=MIN_VALUE,
        max_value=MAX_VALUE,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={
            "required": "Enter the offer's value.",
            "invalid": "Enter an amount such as 10 or 12.50.",
            "min_value": f"An offer is worth at least {money(MIN_VALUE)}.",
            "max_value": f"An offer is worth at most {money(MAX_VALUE)}.",
            "max_decimal_places": "Use at most 2 decimals (cents).",
            "max_digits": f"An offer is worth at most {money(MAX_VALUE)}.",
            "max_whole_digits": f"An offer is worth at most {money(MAX_VALUE)}.",
        },
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Optional. The offer is valid through the end of that day.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date such as 2030-12-31."},
    )
    message = LimitedCharField(
        label="Message",
        limit=MAX_MESSAGE,
        what="The message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("Choose a date after today.")
        if day > today + timedelta(days=MAX_OFFER_DAYS):
            raise forms.ValidationError("Choose a date within the next five years.")
        return day

    @property
    def expires_at(self) -> datetime | None:
        """The end of the expiry day, in the site's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(
            microseconds=1
        )
