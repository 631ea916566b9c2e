from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from mycustomers.models import Customer, CustomerStatus


class DefaultList(models.TextChoices):
    """Lists every performer has; derived from customer state, never stored (L1, L2)."""

    NEW = "new", "New Customers"
    UNASSIGNED = "unassigned", "Unassigned"
    BLOCKED = "blocked", "Blocked"
    AFFILIATE = "affiliate", "Affiliate Referral"


class CustomerListQuerySet(models.QuerySet):
    def for_performer(self, performer):
        return self.filter(performer=performer)

    def with_member_counts(self):
        """``member_count``: members still in My Customers. Blocked customers are in no custom
        list and deleted ones count nowhere. One grouped query whatever the number of lists."""
        return self.annotate(
            member_count=models.Count(
                "memberships",
                filter=models.Q(memberships__customer__status=CustomerStatus.ACTIVE),
            )
        )


class CustomerList(models.Model):
    """A custom, named group of customers owned by a performer."""

    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_lists"
    )
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CustomerListQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint("performer", Lower("name"), name="list_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("lists:edit", args=[self.pk])


class Membership(models.Model):
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    customer_list = models.ForeignKey(
        CustomerList, on_delete=models.CASCADE, related_name="memberships"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint("customer_list", "customer", name="membership_unique"),
        ]
        indexes = [
            models.Index(
                fields=["performer", "customer_list", "customer"], name="membership_list_idx"
            ),
            models.Index(fields=["performer", "customer"], name="membership_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} in {self.customer_list}"
