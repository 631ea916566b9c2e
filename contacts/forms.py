"""Forms for notes (SPEC D6) and offers (D1 Send Offer) on one customer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from contacts.notes import MAX_NOTE
from contacts.offers import MAX_MESSAGE, MAX_VALUE, MIN_VALUE

MAX_OFFER_DAYS = 5 * 366


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_NOTE,
        error_messages={
            "required": "Write something before saving the note.",
            "max_length": f"Notes can be at most {MAX_NOTE:,} characters "
            "(this one has %(show_value)d).",
        },
    )


class OfferForm(forms.Form):
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
            "min_value": f"An offer is worth at least ${MIN_VALUE}.",
            "max_value": f"An offer is worth at most ${MAX_VALUE:,}.",
            "max_decimal_places": "Use at most 2 decimals (cents).",
            "max_digits": f"An offer is worth at most ${MAX_VALUE:,}.",
            "max_whole_digits": f"An offer is worth at most ${MAX_VALUE:,}.",
        },
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Optional. The offer is valid through the end of that day.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date such as 2030-12-31."},
    )
    message = forms.CharField(
        label="Message",
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"The message can be at most {MAX_MESSAGE} characters "
            "(this one has %(show_value)d)."
        },
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
