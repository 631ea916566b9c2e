from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Coalesce, Collate, Concat, Left, Upper
from django.urls import reverse
from django.utils import timezone

from contacts.types import ContactType
from mycustomers.counts import cached
from mycustomers.names import NAME_KEY, name_key
from mycustomers.tenancy import TenantQuerySet


class Performer(AbstractUser):
    """A seller on the marketplace; the tenant that owns customers, lists, notes, ..."""

    # Changes whenever a count the pages show may have changed (a customer's status, name
    # or lists): set by the database at commit, from a sequence (migration 0009), so that
    # mycustomers.counts can cache exact counts until then.
    data_version = models.BigIntegerField(default=0, editable=False)
    # The main table's visible columns in order (F6), by column key; empty: all, as shipped.
    columns = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    # An IANA name ("Europe/Berlin"); empty: the site's TIME_ZONE. Pages show times in it and
    # calendar days (date filters, paid days) are the performer's days.
    time_zone = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        db_table = "performer"

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (ValueError, ZoneInfoNotFoundError):  # a name the system no longer knows
            return ZoneInfo(settings.TIME_ZONE)


class Member(models.Model):
    """A platform account. One member can be a customer of many performers."""

    name = models.CharField(max_length=64, unique=True)
    photo_url = models.URLField(blank=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def page_url(self) -> str:
        return f"{settings.MEMBER_PAGE_BASE_URL}{quote(self.name, safe='')}"


class FollowUpStatus(models.TextChoices):
    NONE = "", "None"
    CALLED = "called", "Called"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    SPOKE = "spoke", "Spoke"


class Trend(models.TextChoices):
    UP = "up", "Up"
    STEADY = "steady", "Steady"
    DOWN = "down", "Down"
    NEW = "new", "New"


class Segment(models.TextChoices):
    CHAMPIONS = "Champions", "Champions"
    LOYAL = "Loyal", "Loyal"
    POTENTIAL = "Potential", "Potential"
    NEW = "New", "New"
    AT_RISK = "At risk", "At risk"
    CANT_LOSE = "Can't lose", "Can't lose"
    HIBERNATING = "Hibernating", "Hibernating"
    LOST = "Lost", "Lost"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    BLOCKED = "blocked", "Blocked"
    DELETED = "deleted", "Deleted"


class AnyOf(models.Lookup):
    """``lhs = ANY(rhs)`` for an array expression on the right (no parentheses around it)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


class CustomerQuerySet(TenantQuerySet):
    # Filtered to one custom list by a semi-join on its memberships (lists.models.in_list):
    # sorted_by then keeps the lists column off its index.
    in_custom_list = False

    def _clone(self):
        clone = super()._clone()
        clone.in_custom_list = self.in_custom_list
        return clone

    def visible(self) -> CustomerQuerySet:
        """The main view's rows: neither blocked nor deleted (M1)."""
        return self.filter(status=CustomerStatus.ACTIVE)

    def blocked(self) -> CustomerQuerySet:
        return self.filter(status=CustomerStatus.BLOCKED)

    def deleted(self) -> CustomerQuerySet:
        return self.filter(status=CustomerStatus.DELETED)

    def new(self, now=None) -> CustomerQuerySet:
        """New to the performer (M6): first contact within the window, not yet mailed,
        blocked or assigned to a list."""
        return self.filter(first_contact__gte=new_since(now), new_cleared=False).exclude(
            status=CustomerStatus.BLOCKED
        )

    # The main view's filters (M8-M10) and sort (M4). Each is served by an index below.

    def search(self, text: str) -> CustomerQuerySet:
        """All or part of the member name or nickname, ignoring case (M8).

        ``icontains`` compiles to ``UPPER(col::text) LIKE UPPER('%text%')``, which is exactly
        the expression of the trigram indexes cust_vis_name_trgm / cust_vis_nick_trgm.
        """
        if not text:
            return self
        matches = models.Q(member_name__icontains=text) | models.Q(nickname__icontains=text)
        if len(text) < 3:
            # No trigram to look up: every name is tested. An always-true range on the key of
            # cust_vis_name_nick (which holds name and nickname) lets the count be an
            # index-only scan of it rather than a read of every table row.
            return self.alias(name_key=NAME_SORT).filter(matches, name_key__gte="")
        return self.filter(matches)

    def callers_like(self, text: str) -> CustomerQuerySet:
        """Suggestions for the caller lookup, by name: two characters are the start of a
        member name (a range on cust_vis_name_nick); three or more, any part of a member
        name or nickname (the trigram indexes). Visible customers only, as those indexes."""
        visible = self.visible().alias(name_key=NAME_SORT)
        if len(text) < 3:
            key = name_key(text)
            return visible.filter(
                name_key__gte=key, name_key__lt=key[:-1] + chr(ord(key[-1]) + 1)
            ).order_by("name_key", "member_name")
        return visible.search(text).order_by("name_key", "member_name")

    def starting_with(self, initial: str) -> CustomerQuerySet:
        """Member names starting with a letter or digit, ignoring case and marks ("Émile"
        under E); "#" is any digit (M9).

        A range on the sort key of cust_vis_name_nick rather than LIKE 'B%' or LEFT(): the
        index serves it, and COLLATE "C" makes the range exact whatever the database locale.
        """
        if not initial:
            return self
        low, high = ("0", "9") if initial == "#" else (initial.upper(), initial.upper())
        return self.alias(name_key=NAME_SORT).filter(
            name_key__gte=low, name_key__lt=chr(ord(high) + 1)
        )

    # Range and state filters (F1). Dates are calendar days in the current time zone.

    def quiet_for_at_least(self, days: int, today: date) -> CustomerQuerySet:
        """Whole days since the last contact >= ``days``: last contact on or before that day."""
        return self.filter(last_contact__lt=start_of_day(today - timedelta(days=days - 1)))

    def quiet_for_at_most(self, days: int, today: date) -> CustomerQuerySet:
        return self.filter(last_contact__gte=start_of_day(today - timedelta(days=days)))

    def last_contact_on_or_after(self, day: date) -> CustomerQuerySet:
        return self.filter(last_contact__gte=start_of_day(day))

    def last_contact_on_or_before(self, day: date) -> CustomerQuerySet:
        return self.filter(last_contact__lt=start_of_day(day + timedelta(days=1)))

    def first_contact_on_or_after(self, day: date) -> CustomerQuerySet:
        return self.filter(first_contact__gte=start_of_day(day))

    def first_contact_on_or_before(self, day: date) -> CustomerQuerySet:
        return self.filter(first_contact__lt=start_of_day(day + timedelta(days=1)))

    def at_least(self, field: str, value: int | Decimal) -> CustomerQuerySet:
        """A counter or the earnings >= ``value`` (``field``: one of ``RANGE_FIELDS``)."""
        return self.filter(**{f"{_range_field(field)}__gte": value})

    def at_most(self, field: str, value: int | Decimal) -> CustomerQuerySet:
        return self.filter(**{f"{_range_field(field)}__lte": value})

    def last_contact_type_in(self, codes: list[str]) -> CustomerQuerySet:
        return self.filter(last_contact_type__in=codes)

    def with_follow_up(self, code: str) -> CustomerQuerySet:
        return self.filter(follow_up=code)

    def with_missed_call(self) -> CustomerQuerySet:
        return self.filter(has_missed_call=True)

    def overdue(self, today: date) -> CustomerQuerySet:
        """Overdue factor at least OVERDUE_FACTOR today (R2)."""
        return self.filter(overdue_from__lte=today)

    def in_segments(self, names: list[str]) -> CustomerQuerySet:
        return self.filter(segment__in=names)

    def totals(self) -> dict:
        """Sums over every row: each counter, the earnings, and how many rows (F4)."""
        return self.order_by().aggregate(
            customers=models.Count("pk"),
            earnings=Coalesce(models.Sum("earnings"), Decimal("0")),
            **{field: Coalesce(models.Sum(field), 0) for field in COUNTER_FIELDS},
        )

    def sorted_by(self, key: str, *, descending: bool = False) -> CustomerQuerySet:
        """Order by a main-view column key (``SORT_EXPRESSIONS``), ties broken by member name.

        Member names are unique per performer (one customer per member, member names are
        unique), so the order is total and pages never repeat or skip a row. Descending is
        the exact mirror of ascending (ties too: member name Z-A), which is a backward scan
        of the same index. A customer with no contact yet counts as the oldest: last in
        "most recent first", first in "oldest first".
        """
        expression = SORT_EXPRESSIONS[key]
        if key == "lists" and self.in_custom_list:
            # Every member's list names hold the list's own, so a walk of the lists index
            # meets the customers in no list or in other lists first: up to every row of the
            # performer (docs/performance.md). The same order, unindexed, sorts the members.
            expression = Collate(Concat(LISTS_SORT.source_expressions[0], models.Value("")), "C")
        # Descending mirrors ascending, rows without a value included.
        if key in NULLS_FIRST_SORTS:
            ascending, mirrored = expression.asc(nulls_first=True), expression.desc(nulls_last=True)
        elif key in NULLS_LAST_SORTS:
            ascending, mirrored = expression.asc(nulls_last=True), expression.desc(nulls_first=True)
        else:
            ascending, mirrored = expression.asc(), expression.desc()
        if descending:
            return self.order_by(mirrored, models.F("member_name").desc())
        return self.order_by(ascending, models.F("member_name").asc())

    def in_default_list(self, key: str, now=None) -> CustomerQuerySet:
        """Members of a default list (L1, L2); ``key`` is a ``lists.models.DefaultList`` value."""
        return self.filter(default_list_q(key, now))


# Default lists are derived from customer state, never stored. The keys are the values of
# lists.models.DefaultList (which imports this module, hence plain strings here).
DEFAULT_LISTS = ("new", "unassigned", "blocked", "affiliate")


def default_list_q(key: str, now=None) -> models.Q:
    since = new_since(now)
    active = models.Q(status=CustomerStatus.ACTIVE)
    is_new = models.Q(first_contact__gte=since, new_cleared=False)
    in_no_list = models.Q(list_names="")
    if key == "new":
        return active & is_new & in_no_list
    if key == "unassigned":
        # Spelled out rather than ~is_new: NOT (NULL >= x) would drop never-contacted rows.
        not_new = (
            models.Q(first_contact__isnull=True)
            | models.Q(first_contact__lt=since)
            | models.Q(new_cleared=True)
        )
        return active & not_new & in_no_list
    if key == "blocked":
        return models.Q(status=CustomerStatus.BLOCKED)
    if key == "affiliate":
        return active & models.Q(affiliate_referral=True)
    raise ValueError(f"Unknown default list {key!r}")


def count_subquery(rows: models.QuerySet, key: str = "performer") -> Coalesce:
    """``COUNT(*)`` of ``rows`` (all sharing one ``key``) as a scalar subquery: several of them
    in one query are each planned on their own index, counted from the index alone where
    it can be."""
    grouped = rows.order_by().values(key).annotate(n=models.Count("*")).values("n")
    return Coalesce(models.Subquery(grouped), 0)


def default_list_counts(performer: Performer, now=None) -> dict[str, int]:
    """Member count of every default list, plus ``affiliate_any`` (the Affiliate Referral list
    shows once any customer came through the link).

    Each count is its own subquery so that each reads only its own partial index (visible
    customers in no list: index-only; Blocked: the status index; Affiliate: the affiliate
    index). One aggregate with a FILTER per list instead read every customer row of the
    performer. Those counts are cached until the performer's data changes
    (mycustomers.counts); New changes with time alone, so it is counted every time (cheap:
    recent customers only), and Unassigned is what is left of the customers in no list.
    """
    customers = Customer.objects.for_performer(performer)
    new = customers.filter(default_list_q("new", now)).count()

    def lasting_counts() -> dict[str, int]:
        counts = {
            "in_no_list": count_subquery(customers.visible().filter(list_names="")),
            "blocked": count_subquery(customers.filter(default_list_q("blocked"))),
            "affiliate": count_subquery(customers.filter(default_list_q("affiliate"))),
            "affiliate_any": models.Exists(customers.filter(affiliate_referral=True)),
        }
        return Performer.objects.filter(pk=performer.pk).values(**counts).get()

    lasting = cached(performer, ("default lists",), lasting_counts)
    return {
        "new": new,
        # Never below 0, even if a customer arrived between the version read and this count.
        "unassigned": max(lasting["in_no_list"] - new, 0),
        "blocked": lasting["blocked"],
        "affiliate": lasting["affiliate"],
        "affiliate_any": lasting["affiliate_any"],
    }


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def new_since(now=None):
    days = settings.MYCUSTOMERS["NEW_CUSTOMER_DAYS"]
    return (now or timezone.now()) - timedelta(days=days)


COUNTER_FIELDS = (
    "live_calls",
    "recorded_calls",
    "mail_sent",
    "mail_received",
    "goody_bags",
    "chat_volleys",
    "feeds",
)
# The columns with a range filter (F1).
RANGE_FIELDS = (*COUNTER_FIELDS, "earnings")


def _range_field(field: str) -> str:
    if field not in RANGE_FIELDS:
        raise ValueError(f"No range filter on {field!r}")
    return field


# Sort keys of the main view's columns (M4), by column key. Names and list names sort
# ignoring case (upper-cased, code-point order; names with their marks folded, see
# mycustomers.names); contact types sort by their label, not their code ("Missed Call" among
# the M's). Each expression is the second column of a partial index in Customer.Meta, which
# the query must repeat exactly to use it.
NAME_SORT = NAME_KEY
# The lists column sorts by its first LISTS_SORT_LENGTH characters (then by member name): an
# index entry must stay under ~2,700 bytes, and a customer may be in any number of lists.
LISTS_SORT_LENGTH = 255
LISTS_SORT = Collate(Upper(Left("list_names", LISTS_SORT_LENGTH)), "C")
CONTACT_TYPE_SORT = models.Case(
    *(
        models.When(last_contact_type=code, then=models.Value(rank))
        for rank, (code, _label) in enumerate(
            sorted(ContactType.choices, key=lambda choice: str(choice[1]).casefold()), start=1
        )
    ),
    default=models.Value(0),  # no contact yet
)
SORT_EXPRESSIONS = {
    "customer": NAME_SORT,
    **{field: models.F(field) for field in COUNTER_FIELDS},
    "earnings": models.F("earnings"),
    "last_contact": models.F("last_contact"),
    "contact_type": CONTACT_TYPE_SORT,
    "lists": LISTS_SORT,
    "due": models.F("due_date"),
}
# Without a value: first when ascending (no contact yet is the oldest) ...
NULLS_FIRST_SORTS = {"last_contact"}
# ... or last (no usual gap, so no due date).
NULLS_LAST_SORTS = {"due"}


def _sort_index(field: str) -> models.Index:
    """Main-view sort index: tenant first, only visible rows, member name breaks ties."""
    return models.Index(
        fields=["performer", field, "member_name"],
        name=f"cust_vis_{field}",
        condition=models.Q(status=CustomerStatus.ACTIVE),
    )


def _sort_expression_index(name: str, expression, **kwargs) -> models.Index:
    return models.Index(
        models.F("performer"),
        expression,
        models.F("member_name"),
        name=name,
        condition=models.Q(status=CustomerStatus.ACTIVE),
        **kwargs,
    )


class Customer(models.Model):
    """One performer <-> one member relationship with the performer's private state.

    Counters, first/last contact and the missed-call timestamps are derived from
    ContactEvent rows by contacts.services.record_events and must always equal a recount.
    """

    # No single-column indexes on the keys: every tenant index leads with performer_id, and
    # each extra index is written on every counter update (the hottest write).
    performer = models.ForeignKey(
        Performer, on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="customers", db_index=False
    )
    # Copied from Member so that sorting, search and tie-breaks need no join.
    member_name = models.CharField(max_length=64)
    nickname = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=8, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    follow_up = models.CharField(
        max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.NONE, blank=True
    )
    affiliate_referral = models.BooleanField(default=False)
    # Set once the performer mails, blocks or assigns the customer (M6).
    new_cleared = models.BooleanField(default=False)
    # Names of the customer's custom lists, sorted and joined by ", ": sorts the lists column.
    list_names = models.TextField(blank=True, default="")

    live_calls = models.PositiveIntegerField(default=0)
    recorded_calls = models.PositiveIntegerField(default=0)
    mail_sent = models.PositiveIntegerField(default=0)
    mail_received = models.PositiveIntegerField(default=0)
    goody_bags = models.PositiveIntegerField(default=0)
    chat_volleys = models.PositiveIntegerField(default=0)
    feeds = models.PositiveIntegerField(default=0)
    earnings = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    first_contact = models.DateTimeField(null=True, blank=True)
    last_contact = models.DateTimeField(null=True, blank=True)
    last_contact_type = models.CharField(max_length=32, choices=ContactType.choices, blank=True)

    # Missed-call flag (M7): on while the latest missed call is later than every clearing
    # event and every dismissal.
    last_missed_call_at = models.DateTimeField(null=True, blank=True)
    missed_call_cleared_at = models.DateTimeField(null=True, blank=True)
    has_missed_call = models.GeneratedField(
        expression=models.Case(
            models.When(last_missed_call_at__isnull=True, then=models.Value(False)),
            models.When(missed_call_cleared_at__isnull=True, then=models.Value(True)),
            default=models.Q(last_missed_call_at__gt=models.F("missed_call_cleared_at")),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When purge_deleted last erased the customer's private data (docs/user-guide.md,
    # "Deleted customers"); a customer deleted again later is purged again.
    purged_at = models.DateTimeField(null=True, blank=True)

    # Database defaults: customers are also created by raw SQL (events, demo data).
    # The customer's rhythm and value (docs/user-guide.md, "Rhythm and segments"), derived
    # from the paid days of the history window by contacts.rhythm: kept current as events
    # arrive, and by ``refresh_insights`` for what moves with the calendar.
    paid_days = models.PositiveIntegerField(db_default=0)
    last_paid_day = models.DateField(null=True, blank=True)
    window_earnings = models.DecimalField(max_digits=12, decimal_places=2, db_default=0)
    usual_gap = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # The first day the overdue factor reaches OVERDUE_FACTOR: "overdue" is a date compare.
    overdue_from = models.DateField(null=True, blank=True)
    trend = models.CharField(max_length=8, choices=Trend.choices, blank=True, db_default="")
    rfm = models.CharField(max_length=3, blank=True, db_default="")  # "545": R, F and M scores
    segment = models.CharField(max_length=12, choices=Segment.choices, blank=True, db_default="")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint("performer", "member", name="customer_unique_member"),
        ]
        indexes = [
            *(_sort_index(f) for f in (*COUNTER_FIELDS, "earnings")),
            # With the nickname, a search too short for the trigram indexes ("a", "jo") is
            # counted from this index alone rather than from every table row.
            _sort_expression_index("cust_vis_name_nick", NAME_SORT, include=["nickname"]),
            # NULLS FIRST: "no contact yet" is the oldest (see CustomerQuerySet.sorted_by).
            _sort_expression_index(
                "cust_vis_last_contact_nf", models.F("last_contact").asc(nulls_first=True)
            ),
            # INCLUDE: PostgreSQL reads an expression's order from the index alone only when
            # the columns it is computed from are in the index too (deep pages' key window).
            _sort_expression_index(
                "cust_vis_contact_type", CONTACT_TYPE_SORT, include=["last_contact_type"]
            ),
            _sort_expression_index("cust_vis_lists_ci", LISTS_SORT),
            _sort_expression_index("cust_vis_due", models.F("due_date").asc(nulls_last=True)),
            # Overdue customers (R3): a range on the day the factor reaches the threshold.
            models.Index(
                fields=["performer", "overdue_from"],
                name="cust_vis_overdue",
                condition=models.Q(status=CustomerStatus.ACTIVE, overdue_from__isnull=False),
            ),
            # No index of its own for counting the visible rows: every sort index above is
            # partial to them and leads with the performer, and counting from one is as fast
            # (docs/performance.md); one more index cost every customer write an entry.
            # New Customers and Unassigned (L2): customers in no custom list, by first contact.
            models.Index(
                fields=["performer", "first_contact"],
                include=["new_cleared"],
                name="cust_vis_no_list",
                condition=models.Q(status=CustomerStatus.ACTIVE, list_names=""),
            ),
            # Missed calls to return: the summary strip's figure and the missed=1 filter's
            # count, from this index alone rather than from every visible row. Small (only
            # flagged rows are in it); it makes a dismissal non-HOT, one row at a time.
            models.Index(
                fields=["performer"],
                name="cust_vis_missed",
                condition=models.Q(status=CustomerStatus.ACTIVE, has_missed_call=True),
            ),
            # The Affiliate Referral list shows once one such customer exists (L1).
            models.Index(
                fields=["performer"],
                name="customer_affiliate_idx",
                condition=models.Q(affiliate_referral=True),
            ),
            # Each status view by name, and a page's rows fetched by name (CustomerPaginator).
            models.Index(fields=["performer", "status", "member_name"], name="customer_status_idx"),
            # Search (M8) runs in the main view, over visible customers. Partial, so that
            # blocking or deleting 100,000 customers writes no trigram entries (a GIN insert
            # costs ~10 entries a row); the Blocked and Deleted views are small and scanned.
            GinIndex(
                OpClass(Upper("member_name"), name="gin_trgm_ops"),
                name="cust_vis_name_trgm",
                condition=models.Q(status=CustomerStatus.ACTIVE),
            ),
            GinIndex(
                OpClass(Upper("nickname"), name="gin_trgm_ops"),
                name="cust_vis_nick_trgm",
                condition=models.Q(status=CustomerStatus.ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return f"{self.member_name} ({self.nickname})" if self.nickname else self.member_name

    @property
    def is_new(self) -> bool:
        return bool(
            self.first_contact
            and self.first_contact >= new_since()
            and not self.new_cleared
            and self.status != CustomerStatus.BLOCKED
        )

    @property
    def is_blocked(self) -> bool:
        return self.status == CustomerStatus.BLOCKED

    @property
    def is_deleted(self) -> bool:
        return self.status == CustomerStatus.DELETED

    @property
    def fully_restorable_until(self) -> datetime | None:
        """A deleted customer's private data (notes, lists, nickname, follow-up) is kept this
        long after the deletion; the worker's nightly purge erases it then."""
        if not self.is_deleted or self.status_changed_at is None:
            return None
        return self.status_changed_at + timedelta(
            days=settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"]
        )

    @property
    def is_purged(self) -> bool:
        """Deleted, and the private data erased since (mycustomers.services.purge_deleted)."""
        return bool(
            self.is_deleted
            and self.purged_at
            and self.status_changed_at
            and self.purged_at >= self.status_changed_at
        )

    def overdue_factor(self, today: date) -> Decimal | None:
        """Days since the last paid day over the usual gap, to one decimal (R2); None without
        a usual gap."""
        if self.usual_gap is None or self.last_paid_day is None:
            return None
        days = max((today - self.last_paid_day).days, 0)
        return (Decimal(days) / self.usual_gap).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def is_overdue(self, today: date) -> bool:
        return self.overdue_from is not None and self.overdue_from <= today

    @property
    def list_label(self) -> str:
        """What the Customer lists column shows (M3, L1, L2): the lists the customer is in,
        default ones included, as the lists page counts them: their own lists (or New
        Customers / Unassigned), then Affiliate Referral. Blocked excludes every other."""
        if self.is_blocked:
            return "Blocked"
        names = self.list_names or ("New Customers" if self.is_new else "Unassigned")
        if self.affiliate_referral:
            names += ", Affiliate Referral"
        return names


SHOWN_ACTIONS = 5


class MassActionQuerySet(TenantQuerySet):
    def to_show(self, now=None) -> list[MassAction]:
        """What the banner reports, oldest first: the latest SHOWN_ACTIONS actions still
        running, or finished in the last day and not dismissed."""
        since = (now or timezone.now()) - timedelta(days=1)
        live_workers = WorkerBeat.objects.filter(stopped_at__isnull=True).order_by("-seen_at")
        latest = (
            self.filter(dismissed=False)
            .filter(models.Q(state=MassAction.State.RUNNING) | models.Q(finished_at__gte=since))
            .select_related("mail")
            .defer("customer_ids")
            # When a running worker last said it was alive (mycustomers.workers), in the
            # same query: the banner says when none has been seen for a while.
            .annotate(worker_seen_at=models.Subquery(live_workers.values("seen_at")[:1]))
            .order_by("-created_at", "-pk")[:SHOWN_ACTIONS]
        )
        return list(reversed(latest))


class MassAction(models.Model):
    """A mass action over more customers than one request should change (SPEC §4): the
    selection's ids are taken when the performer confirms, then applied by a background task
    in chunks, one transaction each (mycustomers.jobs)."""

    class Kind(models.TextChoices):
        SEND_MAIL = "send_mail", "Send Mail"
        BLOCK = "block", "Block"
        UNBLOCK = "unblock", "Unblock"
        DELETE = "delete", "Delete"
        RESTORE = "restore", "Restore"
        ASSIGN = "assign", "Assign to List"
        ADD_TO_LIST = "add_to_list", "Add to List"
        REMOVE_FROM_LIST = "remove_from_list", "Remove from List"
        # A list renamed or deleted: its members' list names follow (lists.services).
        LIST_NAMES = "list_names", "Update list names"

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    performer = models.ForeignKey(Performer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    # The selection when it was confirmed, ascending; each chunk re-checks who is eligible.
    customer_ids = ArrayField(models.BigIntegerField(), default=list)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    # What the action needs besides the customers: the mail, the lists, the delete's time.
    mail = models.ForeignKey("contacts.Mail", null=True, blank=True, on_delete=models.PROTECT)
    list_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # What a list-names update logs in each customer's activity ("List “A” renamed to “B”").
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    dismissed = models.BooleanField(default=False)

    objects = MassActionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["performer", "created_at"],
                name="massaction_to_show_idx",
                condition=models.Q(dismissed=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.total:,} ({self.get_state_display()})"

    @property
    def is_running(self) -> bool:
        return self.state == self.State.RUNNING

    @property
    def can_stop(self) -> bool:
        # Stopping a list-names update half-way would leave names that match no list.
        return self.is_running and self.kind != self.Kind.LIST_NAMES

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


class WorkerBeat(models.Model):
    """A background worker (``manage.py run_worker``) saying it is alive, every few seconds
    (mycustomers.workers). A task whose worker has not been seen for ``WORKER_LEASE_SECONDS``
    is run again by another; the banner says when no worker has been seen for a minute."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)
    # Set by a worker that stops cleanly: its tasks can be taken over at once.
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class SavedView(models.Model):
    """A main view saved under a name (F6): its filters, sort and rows per page (as the main
    view's URL query) and its visible columns. Shown as tabs above the table; one may be
    the default that ``/customers/`` opens with."""

    performer = models.ForeignKey(
        Performer, on_delete=models.CASCADE, related_name="saved_views", db_index=False
    )
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=2000, blank=True)
    columns = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint("performer", Upper("name"), name="savedview_unique_name_ci"),
            models.UniqueConstraint(
                "performer", condition=models.Q(is_default=True), name="savedview_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        query = f"{self.query}&" if self.query else ""
        return f"{reverse('customers:list')}?{query}view={self.pk}"
