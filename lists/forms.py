"""Forms of the customer-lists pages. They validate against the performer's own lists and
customers; the services in ``lists.services`` make the changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from lists.models import CustomerList, Membership, SmartList, list_members
from lists.services import MAX_NAME, clean_list_name
from mycustomers.errors import ActionError
from mycustomers.models import Customer, CustomerStatus

MAX_NAMES_AT_ONCE = 500
LINES = re.compile(r"[\r\n]+")


class ListNameForm(forms.Form):
    """Create or rename: the rules (trimmed, 1–60 characters, unique ignoring case, not a
    default list's name) are ``clean_list_name``'s, shown as errors on the field."""

    name = forms.CharField(
        label="List name",
        help_text=f"Up to {MAX_NAME} characters; each of your lists needs its own name.",
        error_messages={"required": "Enter a list name."},
        widget=forms.TextInput(attrs={"maxlength": MAX_NAME, "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args,
        performer,
        customer_list: CustomerList | None = None,
        smart_list: SmartList | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.performer = performer
        self.customer_list = customer_list or smart_list

    def clean_name(self) -> str:
        try:
            return clean_list_name(
                performer=self.performer,
                name=self.cleaned_data["name"],
                exclude=self.customer_list,
            )
        except ActionError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class ChooseListForm(forms.Form):
    """The radio buttons and the Rename / Delete buttons of the lists page (seed 002)."""

    list = forms.ModelChoiceField(
        queryset=CustomerList.objects.none(),
        error_messages={"required": "Select one of your lists first."},
    )
    action = forms.ChoiceField(choices=[("rename", "Rename"), ("delete", "Delete")])

    def __init__(self, *args, performer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list"].queryset = CustomerList.objects.for_performer(performer)

    @property
    def is_unknown_list(self) -> bool:
        return self.has_error("list", "invalid_choice")


@dataclass
class AddReport:
    """What adding names to a list found, for the message after the redirect."""

    to_add: set[int] = field(default_factory=set)
    already: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = [
            ("Not your customers", self.unknown),
            ("Blocked (unblock them first)", self.blocked),
            ("Deleted from My Customers (restore them first)", self.deleted),
            ("Already in the list", self.already),
        ]
        return [f"{label}: {_some(names)}." for label, names in found if names]


def _some(names: list[str], shown: int = 10) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


class AddMembersForm(forms.Form):
    names = forms.CharField(
        label="Member names",
        max_length=MAX_NAMES_AT_ONCE * 80,
        help_text="Separate names with commas or new lines.",
        error_messages={"required": "Enter at least one member name."},
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
    )

    def __init__(self, *args, performer, customer_list: CustomerList, **kwargs):
        super().__init__(*args, **kwargs)
        self.performer = performer
        self.customer_list = customer_list
        self.report = AddReport()

    def clean_names(self) -> list[str]:
        names = list(dict.fromkeys(n for n in self._split(self.cleaned_data["names"]) if n))
        if not names:
            raise ValidationError("Enter at least one member name.", code="required")
        if len(names) > MAX_NAMES_AT_ONCE:
            raise ValidationError(
                f"Add at most {MAX_NAMES_AT_ONCE} names at a time.", code="too_many"
            )
        self.report = self._match(names)
        return names

    def _split(self, text: str) -> list[str]:
        """Names at new lines and commas, but a line that is a customer's member name as it
        stands stays whole: member names may hold commas ("Smith, Jr.")."""
        lines = [line.strip() for line in LINES.split(text)]
        with_commas = [line for line in lines if "," in line]
        whole = set(
            Customer.objects.for_performer(self.performer)
            .filter(member_name__in=with_commas)
            .values_list("member_name", flat=True)
            if with_commas
            else ()
        )
        return [
            name.strip()
            for line in lines
            for name in ([line] if line in whole else line.split(","))
        ]

    def _match(self, names: list[str]) -> AddReport:
        """Exact member names first, then a case-insensitive match when it is unambiguous.

        The fallback compares ``lower()``, which no index covers, on purpose: with
        ``upper()`` the planner probes the trigram index once per name (seconds for 500
        names); a scan of one performer's rows with a hashed IN list takes milliseconds."""
        customers = Customer.objects.for_performer(self.performer).annotate(
            in_list=Exists(
                Membership.objects.filter(customer_list=self.customer_list, customer=OuterRef("pk"))
            )
        )
        fields = ("pk", "member_name", "status", "in_list")
        found = {
            row["member_name"]: row
            for row in customers.filter(member_name__in=names).values(*fields)
        }
        missing = [n for n in names if n not in found]
        if missing:
            by_lower: dict[str, list[dict]] = {}
            for row in (
                customers.annotate(lower_name=Lower("member_name"))
                .filter(lower_name__in=[n.lower() for n in missing])
                .values(*fields, "lower_name")
            ):
                by_lower.setdefault(row["lower_name"], []).append(row)
            for name in missing:
                if len(matches := by_lower.get(name.lower(), [])) == 1:
                    found[name] = matches[0]

        report, seen = AddReport(), set()
        for name in names:
            row = found.get(name)
            if row is None:
                report.unknown.append(name)
                continue
            if row["pk"] in seen:
                continue
            seen.add(row["pk"])
            shown = row["member_name"]
            if row["status"] == CustomerStatus.BLOCKED:
                report.blocked.append(shown)
            elif row["status"] == CustomerStatus.DELETED:
                report.deleted.append(shown)
            elif row["in_list"]:
                report.already.append(shown)
            else:
                report.to_add.add(row["pk"])
        return report


class RemoveMembersForm(forms.Form):
    """Checked rows of the members table; ids must be this list's members."""

    customers = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.none(),
        error_messages={
            "required": "Select the customers to remove.",
            "invalid_choice": "Some of the selected customers are not in this list.",
            "invalid_pk_value": "Some of the selected customers are not in this list.",
        },
    )

    def __init__(self, *args, performer, customer_list: CustomerList, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = list_members(performer, customer_list).only("pk")
