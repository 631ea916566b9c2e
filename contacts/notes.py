"""The performer's private notes on a customer (SPEC D6): add, edit, delete, each recorded
in the activity history (D9)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from contacts.models import Activity, ActivityVerb, Note
from mycustomers.errors import ActionError
from mycustomers.models import Customer, Performer
from mycustomers.once import AlreadyDone, create_once

MAX_NOTE = Note._meta.get_field("body").max_length
EXCERPT = 80
REPEAT_MINUTES = 10  # the same note again this soon is the same note (add_note)


def clean_note_body(body: str) -> str:
    """Trimmed body, 1–5,000 characters; the same rule the form shows as field errors."""
    body = body.strip()
    if not body:
        raise ActionError("Write something before saving the note.")
    if len(body) > MAX_NOTE:
        raise ActionError(
            f"Notes can be at most {MAX_NOTE:,} characters (this one has {len(body):,})."
        )
    return body


def add_note(
    *, performer: Performer, customer: Customer, body: str, token: UUID | None = None
) -> Note:
    """``token``: the add form's (``mycustomers.once``); a repeat raises ``AlreadyDone``.

    So does the same text as the customer's newest note within REPEAT_MINUTES of it: the
    detail page reached again by Back is fetched anew (a new token) with the note box
    refilled by the browser, and Add note there would add the note a second time."""
    body = clean_note_body(body)
    _check_owner(performer, customer)
    with transaction.atomic():
        now = timezone.now()
        newest = (
            Note.objects.for_performer(performer)
            .filter(customer=customer, created_at__gt=now - timedelta(minutes=REPEAT_MINUTES))
            .order_by("-created_at", "-id")
            .values_list("body", flat=True)
            .first()
        )
        if newest == body:
            raise AlreadyDone
        note = create_once(
            Note,
            performer=performer,
            customer=customer,
            body=body,
            created_at=now,
            updated_at=now,
            token=token,
        )
        _log(performer, customer.pk, ActivityVerb.NOTE_ADDED, body)
    return note


def edit_note(*, performer: Performer, note: Note, body: str) -> Note:
    body = clean_note_body(body)
    _check_owner(performer, note)
    if body == note.body:
        return note
    with transaction.atomic():
        note.body = body
        note.updated_at = timezone.now()
        note.save(update_fields=["body", "updated_at"])
        _log(performer, note.customer_id, ActivityVerb.NOTE_EDITED, body)
    return note


def delete_note(*, performer: Performer, note: Note) -> None:
    _check_owner(performer, note)
    with transaction.atomic():
        deleted, _ = Note.objects.for_performer(performer).filter(pk=note.pk).delete()
        if deleted:
            _log(performer, note.customer_id, ActivityVerb.NOTE_DELETED, note.body)


def with_edited(notes: QuerySet) -> QuerySet:
    """Annotate ``edited``: changed after it was written (add_note writes both timestamps
    from one clock reading, so any later edit, however quick, counts)."""
    return notes.annotate(
        edited=ExpressionWrapper(Q(updated_at__gt=F("created_at")), output_field=BooleanField())
    )


def excerpt(text: str, length: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _log(performer: Performer, customer_id: int, verb: str, body: str) -> None:
    Activity.objects.create(
        performer=performer, customer_id=customer_id, verb=verb, detail=f"“{excerpt(body)}”"
    )


def _check_owner(performer: Performer, obj) -> None:
    # Defence in depth: views fetch through the performer already.
    if obj.performer_id != performer.pk:
        raise ActionError("That customer is not yours.")
