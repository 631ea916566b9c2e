"""Forms of the customer detail page (SPEC D1, D4, D8) and the caller card (D12)."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef

from contacts.forms import LimitedCharField
from lists.models import CustomerList, Membership
from mycustomers.account import zone_choices
from mycustomers.models import Customer, FollowUpStatus, Member
from mycustomers.tables import ALWAYS_SHOWN, COLUMN_KEYS, COLUMN_LABELS

MAX_NICKNAME = Customer._meta.get_field("nickname").max_length
MAX_MEMBER_NAME = Member._meta.get_field("name").max_length

# "" is FollowUpStatus.NONE in the database; a form needs a value a browser always sends.
NO_FOLLOW_UP = "none"


class NicknameForm(forms.Form):
    nickname = LimitedCharField(
        label="Nickname",
        limit=MAX_NICKNAME,
        what="Nicknames",
        required=False,
        help_text="Only you see it. Leave empty to remove it.",
    )

    def clean_nickname(self) -> str:
        return " ".join(self.cleaned_data["nickname"].split())


class FollowUpForm(forms.Form):
    follow_up = forms.ChoiceField(
        label="Follow-up status",
        choices=[
            (NO_FOLLOW_UP if value == FollowUpStatus.NONE else value, label)
            for value, label in FollowUpStatus.choices
        ],
        error_messages={
            "required": "Choose a follow-up status.",
            "invalid_choice": "Choose one of the follow-up statuses.",
        },
    )

    def clean_follow_up(self) -> str:
        value = self.cleaned_data["follow_up"]
        return FollowUpStatus.NONE if value == NO_FOLLOW_UP else value


def own_lists_field() -> forms.ModelMultipleChoiceField:
    """The performer's custom lists as checkboxes; the form scopes the queryset to the
    performer, so another performer's list id is an invalid choice."""
    return forms.ModelMultipleChoiceField(
        label="Customer lists",
        queryset=CustomerList.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": "That list does not exist.",
            "invalid_pk_value": "That list does not exist.",
            "invalid_list": "Choose lists from the checkboxes.",
        },
    )


class CustomerListsForm(forms.Form):
    """The performer's custom lists as checkboxes, plus Blocked, which excludes the rest."""

    lists = own_lists_field()
    blocked = forms.BooleanField(label="Blocked", required=False)

    def __init__(self, *args, performer, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["lists"]
        # Scoped to the performer: another performer's list id is an invalid choice.
        field.queryset = CustomerList.objects.for_performer(performer).annotate(
            has_customer=Exists(
                Membership.objects.filter(customer_list=OuterRef("pk"), customer=customer)
            )
        )
        if not self.is_bound:
            self.initial["blocked"] = customer.is_blocked

    def list_choices(self) -> list[CustomerList]:
        """The lists, each with ``has_customer`` and ``checked`` (one query, for the page)."""
        lists = list(self.fields["lists"].queryset)
        if self.is_bound:
            chosen = set(self.data.getlist(self.add_prefix("lists")))
            for lst in lists:
                lst.checked = str(lst.pk) in chosen
        else:
            for lst in lists:
                lst.checked = lst.has_customer
        return lists


class LookupForm(forms.Form):
    member = forms.CharField(
        label="Member name or nickname",
        max_length=MAX_MEMBER_NAME,
        error_messages={
            "required": "Type the member name or nickname of the caller.",
            "max_length": f"Member names are at most {MAX_MEMBER_NAME} characters long.",
        },
    )


class TimeZoneForm(forms.Form):
    """The performer's time zone (account page): one of the zones of ``account.zone_choices``."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times on every page, the days of the date filters and your paid days follow it.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()


class ColumnsForm(forms.Form):
    """The column chooser (F6): per column, whether it shows and its place (1 = first)."""

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        places = [(str(n), str(n)) for n in range(1, len(COLUMN_KEYS) + 1)]
        order = [*columns, *(key for key in COLUMN_KEYS if key not in columns)]
        self.rows = []
        for place, key in enumerate(order, start=1):
            show = forms.BooleanField(
                label=f"Show {COLUMN_LABELS[key]}", required=False, initial=key in columns
            )
            if key == ALWAYS_SHOWN:
                show.disabled = True
                show.initial = True
            self.fields[f"show_{key}"] = show
            self.fields[f"place_{key}"] = forms.TypedChoiceField(
                label=f"Place of {COLUMN_LABELS[key]}",
                choices=places,
                coerce=int,
                initial=place,
                required=False,
                empty_value=place,
            )
            self.rows.append((COLUMN_LABELS[key], self[f"show_{key}"], self[f"place_{key}"]))

    def chosen(self) -> list[str]:
        """The visible columns by place (ties keep the table's order)."""
        data = self.cleaned_data
        shown = [key for key in COLUMN_KEYS if key == ALWAYS_SHOWN or data[f"show_{key}"]]
        return sorted(shown, key=lambda key: (data[f"place_{key}"], COLUMN_KEYS.index(key)))
