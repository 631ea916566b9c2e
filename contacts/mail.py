"""Sending mail to customers (SPEC A3): one Mail, one delivery and one ``mail_sent`` event per
recipient, so counters, last contact and the new / missed-call flags follow the usual rules."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from contacts.activity import log_activity
from contacts.models import ActivityVerb, Mail, MailDelivery
from contacts.services import record_mail_sent
from mycustomers.models import Customer, CustomerStatus, Performer
from mycustomers.once import create_once
from mycustomers.selection import Selection, selected


@dataclass(frozen=True)
class MailResult:
    mail: Mail | None
    sent: int
    skipped_blocked: int


def send_mail(
    *, performer: Performer, customers: QuerySet, subject: str, body: str, token: UUID | None = None
) -> MailResult:
    """Mail every selected customer who is not blocked; deliveries are individual, so no
    recipient sees another's name. Deleted customers are skipped too (they are not in
    My Customers), and counted with the blocked ones only if blocked.

    ``token`` (the compose form's, ``mycustomers.once``) makes a repeat of the same submission
    raise ``AlreadyDone`` instead of mailing everyone again."""
    customers = customers.filter(performer=performer)
    with transaction.atomic(), selected(customers, performer=performer) as selection:
        statuses = customers.model.objects.filter(pk__in=selection.ids()).aggregate(
            active=Count("pk", filter=Q(status=CustomerStatus.ACTIVE)),
            blocked=Count("pk", filter=Q(status=CustomerStatus.BLOCKED)),
        )
        skipped = statuses["blocked"]
        if not statuses["active"]:
            return MailResult(mail=None, sent=0, skipped_blocked=skipped)
        mail = create_mail(performer=performer, subject=subject, body=body, token=token)
        sent = _deliver(performer, mail, selection)
        return MailResult(mail=mail, sent=sent, skipped_blocked=skipped)


def create_mail(
    *, performer: Performer, subject: str, body: str, token: UUID | None = None
) -> Mail:
    """The mail itself, before any delivery; ``AlreadyDone`` if ``token`` was used."""
    return create_once(Mail, performer=performer, subject=subject, body=body, token=token)


def deliver_mail(*, performer: Performer, mail: Mail, customers: QuerySet) -> int:
    """Deliver ``mail`` to the active ones of ``customers`` (a background mass action does
    this chunk by chunk). Returns how many it was delivered to."""
    customers = customers.filter(performer=performer)
    with transaction.atomic(), selected(customers, performer=performer) as selection:
        return _deliver(performer, mail, selection)


def _deliver(performer: Performer, mail: Mail, selection: Selection) -> int:
    table = Customer._meta.db_table
    sent = record_mail_sent(
        performer=performer,
        customers_sql=f"SELECT id FROM {table} WHERE id IN ({selection.sql}) "
        f"AND status = '{CustomerStatus.ACTIVE}'",
        mail_id=mail.pk,
        occurred_at=timezone.now(),
        summary=f"Mail: {mail.subject}"[:500],
    )
    log_activity(
        performer=performer,
        customer_ids_sql=f"SELECT customer_id AS id FROM {MailDelivery._meta.db_table} "
        f"WHERE mail_id = {int(mail.pk)} AND customer_id IN ({selection.sql})",
        verb=ActivityVerb.MAIL_SENT,
        detail=mail.subject,
    )
    return sent
