"""Sending mail to customers (SPEC A3): one Mail, one delivery and one ``mail_sent`` event per
recipient, so counters, last contact and the new / missed-call flags follow the usual rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from contacts.activity import log_activity
from contacts.models import ActivityVerb, Mail, MailDelivery
from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from mycustomers.models import CustomerStatus
from mycustomers.selection import selected


@dataclass(frozen=True)
class MailResult:
    mail: Mail | None
    sent: int
    skipped_blocked: int


def send_mail(*, performer, customers: QuerySet, subject: str, body: str) -> MailResult:
    """Mail every selected customer who is not blocked; deliveries are individual, so no
    recipient sees another's name. Deleted customers are skipped too (they are not in
    My Customers), and counted with the blocked ones only if blocked."""
    customers = customers.filter(performer=performer)
    with transaction.atomic(), selected(customers, performer=performer) as selection:
        recipients = list(
            customers.model.objects.filter(pk__in=selection.ids(), status=CustomerStatus.ACTIVE)
            .order_by("pk")
            .values_list("member_name", flat=True)
        )
        skipped = customers.model.objects.filter(
            pk__in=selection.ids(), status=CustomerStatus.BLOCKED
        ).count()
        if not recipients:
            return MailResult(mail=None, sent=0, skipped_blocked=skipped)
        mail = Mail.objects.create(performer=performer, subject=subject, body=body)
        now = timezone.now()
        summary = f"Mail: {subject}"[:500]
        recorded = record_events(
            performer=performer,
            events=[
                NewEvent(name, ContactType.MAIL_SENT, now, summary=summary) for name in recipients
            ],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {MailDelivery._meta.db_table}
                    (performer_id, mail_id, customer_id, event_id)
                SELECT %s, %s, customer_id, event_id
                FROM unnest(%s::bigint[], %s::bigint[]) AS d(customer_id, event_id)
                """,
                [
                    performer.pk,
                    mail.pk,
                    [r.customer_id for r in recorded],
                    [r.id for r in recorded],
                ],
            )
        log_activity(
            performer=performer,
            customer_ids_sql=f"SELECT customer_id AS id FROM {MailDelivery._meta.db_table} "
            f"WHERE mail_id = {int(mail.pk)}",
            verb=ActivityVerb.MAIL_SENT,
            detail=subject,
        )
        return MailResult(mail=mail, sent=len(recorded), skipped_blocked=skipped)
