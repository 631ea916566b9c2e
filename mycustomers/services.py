"""State changes on customers. Each runs in one transaction and is set-based."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest, Now

from contacts.models import Activity, ActivityVerb
from mycustomers.models import Customer


class ActionError(Exception):
    """A state change that cannot be applied; the message is shown to the performer."""


def dismiss_missed_call(*, performer, customer: Customer) -> bool:
    """Take down the missed-call flag (M7); a later missed call raises it again.

    Returns whether there was a flag to dismiss.
    """
    with transaction.atomic():
        dismissed = (
            Customer.objects.for_performer(performer)
            .filter(pk=customer.pk, has_missed_call=True)
            .update(missed_call_cleared_at=Greatest(F("last_missed_call_at"), Now()))
        )
        if dismissed:
            Activity.objects.create(
                performer=performer, customer=customer, verb=ActivityVerb.MISSED_CALL_DISMISSED
            )
    return bool(dismissed)
