"""Admin for performers, members and customers (SPEC C1): usable on large tables.

Changelists never count the whole table (``show_full_result_count = False``), foreign keys
use autocomplete widgets, and everything derived from events is read-only. State changes
that other data depends on (block, delete, restore) go through the same services as the app.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from contacts.models import ContactEvent
from mycustomers import services
from mycustomers.models import (
    COUNTER_FIELDS,
    Customer,
    MassAction,
    Member,
    Performer,
    SavedView,
    WorkerBeat,
)

# Rows on one changelist page of the tables that grow to millions of rows.
BIG_TABLE_PAGE = 50
# Events shown inline on a customer's page; the rest are one click away.
INLINE_EVENTS = 50


# Customer fields derived from contact events: shown together, never edited.
FROM_EVENTS = (
    *COUNTER_FIELDS,
    "earnings",
    "first_contact",
    "last_contact",
    "last_contact_type",
    "last_missed_call_at",
    "missed_call_cleared_at",
    "has_missed_call",
    "all_events",
)


class ReadOnlyMixin:
    """Records of what happened: viewable, never written through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BigTableAdmin(admin.ModelAdmin):
    """A changelist that stays fast on millions of rows: no COUNT(*) of the whole table, newest
    first by primary key (an index; the tenant indexes lead with the performer, so a global
    sort by a date would sort the whole table), and no date hierarchy (SELECT DISTINCT over
    every row)."""

    show_full_result_count = False
    list_per_page = BIG_TABLE_PAGE
    ordering = ("-pk",)


def changelist_link(model, label: str, **filters) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class TenantChildAdmin(BigTableAdmin):
    """Rows that belong to a customer: the performer always follows the customer, so a row
    can never point at another performer's customer."""

    autocomplete_fields = ["customer"]

    def get_readonly_fields(self, request, obj=None):
        return ("performer", *super().get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        obj.performer_id = obj.customer.performer_id
        super().save_model(request, obj, form, change)


@admin.register(Performer)
class PerformerAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "customers")
    list_filter = ("is_active", "is_staff", "is_superuser")
    show_full_result_count = False

    @admin.display(description="Customers")
    def customers(self, performer: Performer) -> str:
        return changelist_link(Customer, "customers", performer__id__exact=performer.pk)

    def has_delete_permission(self, request, obj=None):
        # Events protect their customers, so a performer with any can't be deleted anyway, and
        # the delete page collected every related row first (87 s for 5,000 customers and
        # 100,000 events) to say so. To stop a performer logging in, clear "Active".
        return False


@admin.register(Member)
class MemberAdmin(BigTableAdmin):
    list_display = ("name", "joined_at", "customers")
    search_fields = ("name",)
    ordering = ("name",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Customer of")
    def customers(self, member: Member) -> str:
        return changelist_link(Customer, "performers", member__id__exact=member.pk)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and "name" in form.changed_data:
                # Customers keep a copy of the name for sorting and search.
                Customer.objects.filter(member=obj).update(member_name=obj.name)


class ContactEventInline(ReadOnlyMixin, admin.TabularInline):
    """The customer's latest events, read-only; the full history is a filtered changelist."""

    model = ContactEvent
    fields = ("occurred_at", "type", "amount", "quantity", "reference", "summary", "recorded_at")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"latest {INLINE_EVENTS} contact events"

    def get_queryset(self, request):
        # Bounded: a customer can have thousands of events. The formset slices the latest
        # ones (an inline formset needs an unsliced queryset, so filter by their ids).
        queryset = super().get_queryset(request)
        customer_id = request.resolver_match.kwargs.get("object_id")
        if not customer_id or not str(customer_id).isdigit():
            return queryset.none()
        # Through the performer too: events are indexed by (performer, customer, time).
        performer_id = (
            Customer.objects.filter(pk=customer_id).values_list("performer_id", flat=True).first()
        )
        latest = (
            ContactEvent.objects.filter(performer_id=performer_id, customer_id=customer_id)
            .order_by("-occurred_at", "-id")
            .values_list("id", flat=True)[:INLINE_EVENTS]
        )
        return queryset.filter(id__in=list(latest))


@admin.register(Customer)
class CustomerAdmin(BigTableAdmin):
    list_display = (
        "member_name",
        "nickname",
        "performer",
        "status",
        "follow_up",
        "live_calls",
        "mail_sent",
        "chat_volleys",
        "earnings",
        "last_contact",
        "last_contact_type",
        "has_missed_call",
    )
    list_select_related = ("performer",)
    list_filter = (
        "status",
        "follow_up",
        "last_contact_type",
        "affiliate_referral",
        "has_missed_call",
        "last_contact",
        "first_contact",
    )
    # "=username" is an exact match: narrows to one performer's customers quickly.
    search_fields = ("member_name", "nickname", "=performer__username")
    search_help_text = "Member name or nickname (part of it), or a performer's exact username."
    autocomplete_fields = ("performer", "member")
    actions = ("block", "unblock", "delete_softly", "restore")
    inlines = (ContactEventInline,)
    fieldsets = (
        (None, {"fields": ("performer", "member", "member_name", "nickname")}),
        (
            "State",
            {
                "fields": (
                    "status",
                    "status_changed_at",
                    "follow_up",
                    "affiliate_referral",
                    "new_cleared",
                    "list_names",
                    "created_at",
                )
            },
        ),
        (
            "Derived from contact events (read-only; see reconcile_counters)",
            {"fields": FROM_EVENTS},
        ),
    )
    derived_fields = (
        "member_name",
        "status",
        "status_changed_at",
        "new_cleared",
        "list_names",
        "created_at",
        *FROM_EVENTS,
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.derived_fields
        # Moving a customer to another performer or member would orphan its events.
        return ("performer", "member", *self.derived_fields)

    @admin.display(description="All events")
    def all_events(self, customer: Customer) -> str:
        if customer.pk is None:
            return "—"
        return changelist_link(
            ContactEvent,
            "every event of this customer",
            performer__id__exact=customer.performer_id,
            customer__id__exact=customer.pk,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.member_name = obj.member.name
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Events, notes and feedback protect the customer; "Delete" is the soft delete action.
        return False

    def _per_performer(self, request, queryset: QuerySet, service, verb: str) -> None:
        by_performer: dict[int, list[int]] = defaultdict(list)
        for customer_id, performer_id in queryset.values_list("pk", "performer_id"):
            by_performer[performer_id].append(customer_id)
        performers = Performer.objects.in_bulk(list(by_performer))
        count = 0
        with transaction.atomic():
            for performer_id, ids in by_performer.items():
                result = service(
                    performer=performers[performer_id],
                    customers=Customer.objects.filter(pk__in=ids),
                )
                count += result.count if isinstance(result, services.Deletion) else result
        self.message_user(request, f"{verb} {count} customer(s).", messages.SUCCESS)

    @admin.action(description="Block selected customers")
    def block(self, request, queryset):
        self._per_performer(request, queryset, services.block_customers, "Blocked")

    @admin.action(description="Unblock selected customers")
    def unblock(self, request, queryset):
        self._per_performer(request, queryset, services.unblock_customers, "Unblocked")

    @admin.action(description="Delete selected customers (recoverable)")
    def delete_softly(self, request, queryset):
        self._per_performer(request, queryset, services.delete_customers, "Deleted")

    @admin.action(description="Restore selected deleted customers")
    def restore(self, request, queryset):
        self._per_performer(request, queryset, services.restore_customers, "Restored")


@admin.register(MassAction)
class MassActionAdmin(ReadOnlyMixin, BigTableAdmin):
    """Large mass actions and their progress (mycustomers.jobs); the customer ids
    (up to one per customer) are not shown."""

    list_display = ("pk", "performer", "kind", "state", "processed", "total", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("=performer__username",)
    list_select_related = ("performer",)
    exclude = ("customer_ids",)
    raw_id_fields = ("performer", "mail")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("customer_ids")


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The background workers and when each last said it was alive (mycustomers.workers)."""

    list_display = ("worker_id", "host", "pid", "started_at", "seen_at", "stopped_at")
    search_fields = ("worker_id", "host")
    ordering = ("-seen_at",)

    def get_object(self, request, object_id, from_field=None):
        # A worker id is text, and PostgreSQL refuses NUL in text: "does not exist", not a 500.
        if "\x00" in object_id:
            return None
        return super().get_object(request, object_id, from_field)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Saved main views (F6): a tab's filters, sort, rows per page and columns."""

    list_display = ("name", "performer", "query", "is_default", "created_at")
    list_select_related = ("performer",)
    search_fields = ("name", "=performer__username")
    autocomplete_fields = ("performer",)
    show_full_result_count = False
    ordering = ("-pk",)
