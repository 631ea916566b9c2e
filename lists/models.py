from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from mycustomers.counts import cached
from mycustomers.models import (
    DEFAULT_LISTS,
    AnyOf,
    Customer,
    CustomerQuerySet,
    CustomerStatus,
    Performer,
    new_since,
)
from mycustomers.tenancy import TenantQuerySet


class DefaultList(models.TextChoices):
    """Lists every performer has; derived from customer state, never stored (L1, L2)."""

    NEW = "new", "New Customers"
    UNASSIGNED = "unassigned", "Unassigned"
    BLOCKED = "blocked", "Blocked"
    AFFILIATE = "affiliate", "Affiliate Referral"

    @property
    def ages(self) -> bool:
        """Members leave (New) or join (Unassigned) as time passes, with no write at all."""
        return self in (DefaultList.NEW, DefaultList.UNASSIGNED)


class CustomerListQuerySet(TenantQuerySet):
    def with_member_counts(self, performer: Performer) -> list[CustomerList]:
        """The performer's lists by name, each with ``member_count``: its members still in My
        Customers (blocked customers are in no list; deleted ones keep their memberships for
        Undo, and count nowhere). One query, and two more when the performer's customers or
        memberships have changed since the counts were last taken (mycustomers.counts)."""
        lists = list(self.for_performer(performer).order_by(Lower("name"), "name"))
        if lists:
            counts = cached(performer, ("list members",), lambda: member_counts(performer))
            for lst in lists:
                lst.member_count = counts.get(lst.pk, 0)
        return lists


def member_counts(performer: Performer) -> dict[int, int]:
    """Members still in My Customers of each of the performer's lists that has any.

    Each list's memberships are counted from the (list, customer) unique index alone (a join
    and one grouping of every membership took twice as long); those of blocked or deleted
    customers (few) are found from the customers' side, through the status index and the
    memberships' customer index, then subtracted.
    """
    memberships = Membership.objects.filter(performer=performer)
    counts = dict(memberships.values_list("customer_list").annotate(n=models.Count("*")).order_by())
    hidden = (
        Customer.objects.for_performer(performer)
        .filter(status__in=[CustomerStatus.BLOCKED, CustomerStatus.DELETED])
        .order_by()
        .values("pk")
    )
    gone = (
        memberships.filter(AnyOf(models.F("customer"), ArraySubquery(hidden)))
        .values_list("customer_list")
        .annotate(n=models.Count("*"))
        .order_by()
    )
    for list_id, n in gone:
        counts[list_id] -= n
    return counts


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
    # Indexed only by the composite indexes below, which lead with these keys: mass
    # assignments write a row per customer, and every index costs each row an entry.
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer_list = models.ForeignKey(
        CustomerList, on_delete=models.CASCADE, related_name="memberships", db_index=False
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
        ]

    def __str__(self) -> str:
        return f"{self.customer} in {self.customer_list}"


def in_list(customers: CustomerQuerySet, key: str | int | None) -> CustomerQuerySet:
    """The rows of one "Display list" choice (M10): no key means every visible customer, a
    ``DefaultList`` value its derived members, anything else a custom list's id."""
    if not key:
        return customers.visible()
    if key == DefaultList.NEW:
        now = timezone.now()
        # Implied (last contact >= first contact >= the window's start), and it lets "oldest
        # contact first" start at the window instead of walking every older row.
        return customers.in_default_list(key, now).filter(last_contact__gte=new_since(now))
    if key in DEFAULT_LISTS:
        return customers.in_default_list(key)
    # A semi-join on the membership index (id IN (members)): a page walks the sort index and
    # keeps the members, as fast as an indexed page when the list is a few percent of the
    # customers; counts and totals read the list's memberships and fetch those rows by key.
    # The query is already scoped to one performer, so another performer's list id matches
    # nobody.
    members = Membership.objects.filter(customer_list=int(key)).values("customer_id")
    rows = customers.visible().filter(pk__in=members)
    rows.in_custom_list = True
    return rows


def not_in_lists(customers: CustomerQuerySet, list_ids: list[int]) -> CustomerQuerySet:
    """Customers in none of the lists ``list_ids`` (the performer's own, checked by the caller)."""
    members = Membership.objects.filter(customer_list__in=list_ids).values("customer_id")
    return customers.exclude(pk__in=members)


def list_members(performer: Performer, customer_list: CustomerList) -> CustomerQuerySet:
    """Every member of one list, whatever their status (pages narrow it to visible ones)."""
    return Customer.objects.for_performer(performer).filter(
        memberships__customer_list=customer_list
    )


class SmartList(models.Model):
    """A named, saved set of main-view filters (F5). Its members are computed from the rules
    whenever it is used, so nothing stored goes stale. Names share the namespace of the
    performer's custom lists (L3)."""

    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="smart_lists",
        db_index=False,
    )
    name = models.CharField(max_length=60)
    # The filters as the main view's URL query (its public parameters), e.g.
    # "earnings_min=100&quiet_min=60"; validated by the main view's filter form when saved.
    rules = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint("performer", Lower("name"), name="smartlist_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """Its value in the Display list pull-down and the ``list`` parameter."""
        return f"{SMART_KEY_PREFIX}{self.pk}"


SMART_KEY_PREFIX = "s"
# Ready-made smart lists a performer adds in one click (F5): name -> rules.
SMART_LIST_PRESETS = {
    "Lapsed big spenders": "earnings_min=100&quiet_min=60",
    "New this month, not yet mailed": "new=1",
    # Their own rhythm says they are late (docs/user-guide.md, "Rhythm and segments").
    "Overdue regulars": "overdue=1",
    "Can't lose": "segment=Can%27t+lose",
}
