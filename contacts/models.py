from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from contacts.types import EFFECTS, ContactType
from mycustomers.models import AnyOf, Customer, Performer
from mycustomers.money import money
from mycustomers.tenancy import TenantQuerySet


class ContactEvent(models.Model):
    """One interaction; immutable once recorded. Insert only via contacts.services."""

    # No index of its own on performer: event_customer_time_idx leads with it. The customer
    # key keeps one, which the foreign-key check needs when a customer row is deleted.
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=32, choices=ContactType.choices)
    occurred_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    quantity = models.PositiveIntegerField(default=1)
    # The purchase id on the platform; (performer, reference) is unique when present.
    # NULL, not "", for "no reference": the partial unique constraint skips NULLs.
    reference = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    summary = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "performer",
                "reference",
                name="event_unique_reference",
                condition=models.Q(reference__isnull=False),
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="event_amount_gte_0"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="event_quantity_gte_1"
            ),
        ]
        indexes = [
            models.Index(
                fields=["performer", "customer", "-occurred_at"],
                # Covering: the detail page's insights and chart read only the index.
                include=["type", "amount"],
                name="event_customer_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("customers:purchase", args=[self.customer_id, self.pk])

    @property
    def is_paid(self) -> bool:
        return self.amount > 0

    @property
    def channel(self) -> str:
        return EFFECTS[self.type].channel


class Mail(models.Model):
    """A message the performer sent; one MailDelivery per recipient."""

    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    sent_at = models.DateTimeField(default=timezone.now)
    # The compose form's one-time token (mycustomers.once): submitted twice, sent once.
    token = models.UUIDField(null=True, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["performer", "-sent_at"], name="mail_performer_sent_idx")]
        constraints = [
            models.UniqueConstraint(fields=["performer", "token"], name="mail_unique_token")
        ]

    def __str__(self) -> str:
        return self.subject


class MailDelivery(models.Model):
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mail = models.ForeignKey(Mail, on_delete=models.CASCADE, related_name="deliveries")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="deliveries")
    event = models.OneToOneField(
        ContactEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "mail deliveries"
        constraints = [
            models.UniqueConstraint("mail", "customer", name="delivery_unique_recipient"),
        ]
        indexes = [models.Index(fields=["performer", "customer"], name="delivery_customer_idx")]

    def __str__(self) -> str:
        return f"{self.mail} → {self.customer}"


class Offer(models.Model):
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="offers")
    value = models.DecimalField(max_digits=10, decimal_places=2)
    message = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    # The form's one-time token (mycustomers.once): submitted twice, sent once.
    token = models.UUIDField(null=True, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="offer_value_gt_0"),
            models.UniqueConstraint(fields=["performer", "token"], name="offer_unique_token"),
        ]
        indexes = [
            models.Index(fields=["performer", "customer", "-sent_at"], name="offer_customer_idx")
        ]

    def __str__(self) -> str:
        return f"{money(self.value)} offer to {self.customer}"


class Feedback(models.Model):
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["performer", "customer", "-created_at"], name="feedback_customer_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ from {self.customer}"


class Note(models.Model):
    """The performer's private note on a customer."""

    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notes")
    body = models.TextField(max_length=5000)
    # One statement's clock for both, so a note that was never edited never looks edited.
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())
    # The add form's one-time token (mycustomers.once): submitted twice, added once.
    token = models.UUIDField(null=True, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["performer", "customer", "-created_at"], name="note_customer_idx")
        ]
        constraints = [
            models.UniqueConstraint(fields=["performer", "token"], name="note_unique_token")
        ]

    def __str__(self) -> str:
        return self.body[:50]


class ActivityVerb(models.TextChoices):
    LISTS_CHANGED = "lists_changed", "Changed lists"
    BLOCKED = "blocked", "Blocked"
    UNBLOCKED = "unblocked", "Unblocked"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"
    NOTE_ADDED = "note_added", "Added a note"
    NOTE_EDITED = "note_edited", "Edited a note"
    NOTE_DELETED = "note_deleted", "Deleted a note"
    NICKNAME_CHANGED = "nickname_changed", "Changed nickname"
    FOLLOW_UP_CHANGED = "follow_up_changed", "Changed follow-up status"
    MAIL_SENT = "mail_sent", "Sent mail"
    OFFER_SENT = "offer_sent", "Sent an offer"
    MISSED_CALL_DISMISSED = "missed_call_dismissed", "Dismissed missed-call flag"


class ActivityQuerySet(TenantQuerySet):
    def of_customer(self, customer: Customer) -> ActivityQuerySet:
        """Every entry of one customer's history: their own, and the shared entries of the
        actions over several customers that included them (``ActivityCustomer``). The
        shared ones' ids come first, from the link table's key, as an array: then both
        halves are lookups on an index (the customer's entries, the primary key)."""
        customer_id = customer.pk
        shared = ActivityCustomer.objects.filter(
            performer_id=customer.performer_id, customer_id=customer_id
        ).values("activity_id")
        return self.filter(
            models.Q(customer_id=customer_id) | AnyOf(models.F("pk"), ArraySubquery(shared))
        )


class Activity(models.Model):
    """The performer's own actions on a customer (SPEC D9), newest first.

    An action over one customer is an entry of that customer's; an action over several (a
    mass action) is ONE entry with no customer, shared by the customers it touched through
    ``ActivityCustomer`` (contacts.activity): a 100,000-customer action writes one entry and
    100,000 two-key rows, not 100,000 entries and their index entries. Read a customer's
    history with ``Activity.objects.of_customer``."""

    # No index of its own: activity_customer_idx leads with it (every row written costs
    # each index an entry).
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Null on a shared entry (its customers: ActivityCustomer).
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="activities", null=True, blank=True
    )
    verb = models.CharField(max_length=32, choices=ActivityVerb.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["performer", "customer", "-created_at"], name="activity_customer_idx"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_verb_display()}: {self.detail}" if self.detail else self.get_verb_display()
        )


class ActivityCustomer(models.Model):
    """One customer of a shared activity entry (``Activity``): the performer, the customer
    and the entry; the key's index (performer, customer) is the only one, which reads a
    customer's shared entries.

    No foreign-key constraints in the database: their per-row checks were most of the cost
    of writing a mass action's links (docs/performance.md). The app keeps them true: links
    are written only by contacts.activity, from customers that exist, to the entry written
    in the same statement; a customer with history is never deleted (PROTECT, which Django
    still applies, as the cascade from an entry), and replacing a performer's data deletes
    the links first (mycustomers.portability.importing)."""

    # Tenant first, as every table's key (docs/scale-out.md): a customer's links are a range.
    pk = models.CompositePrimaryKey("performer", "customer", "activity")
    performer = models.ForeignKey(
        Performer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        related_name="links",
        db_index=False,
        db_constraint=False,
    )

    def __str__(self) -> str:
        return f"{self.activity_id} → {self.customer_id}"
