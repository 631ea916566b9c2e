"""Admin for contact events, mail, offers, feedback, notes and the activity log (SPEC C1).

Contact events are the source of truth for every counter: the admin shows them but never
adds, edits or deletes one (they enter only through ``contacts.services.record_events``).
"""

from __future__ import annotations

from django.contrib import admin

from contacts.models import (
    Activity,
    ActivityCustomer,
    ContactEvent,
    Feedback,
    Mail,
    MailDelivery,
    Note,
    Offer,
)
from mycustomers.admin import BigTableAdmin, ReadOnlyMixin, TenantChildAdmin, changelist_link


class ReadOnlyAdmin(ReadOnlyMixin, BigTableAdmin):
    """Records of what happened: viewable, never written through the admin."""


@admin.register(ContactEvent)
class ContactEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "customer",
        "performer",
        "type",
        "amount",
        "quantity",
        "reference",
        "recorded_at",
    )
    list_select_related = ("customer", "performer")
    list_filter = ("type", "occurred_at", "recorded_at")
    search_fields = ("customer__member_name", "=reference", "=performer__username")
    search_help_text = "Member name (part of it), an exact reference, or a performer's username."
    raw_id_fields = ("performer", "customer")


@admin.register(Mail)
class MailAdmin(BigTableAdmin):
    list_display = ("subject", "performer", "sent_at")
    list_select_related = ("performer",)
    list_filter = ("sent_at",)
    search_fields = ("subject", "=performer__username")
    autocomplete_fields = ("performer",)
    fields = ("performer", "subject", "body", "sent_at", "recipients")
    readonly_fields = ("recipients",)

    @admin.display(description="Recipients")
    def recipients(self, mail: Mail) -> str:
        # A mail can have thousands of recipients: no inline, a link to its deliveries.
        return changelist_link(MailDelivery, "every delivery of this mail", mail__id__exact=mail.pk)

    def has_add_permission(self, request):
        # Mail is sent through the app (contacts.mail.send_mail): one event per recipient.
        return False

    def has_change_permission(self, request, obj=None):
        # Sent mail is a record: it can be read, not rewritten.
        return False

    def has_delete_permission(self, request, obj=None):
        # Nor deleted: its deliveries (read-only) say who received it. The delete page
        # collected every delivery first (5 s for 5,000) only to refuse.
        return False


@admin.register(MailDelivery)
class MailDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("mail", "customer", "performer", "event")
    list_select_related = ("mail", "customer", "performer")
    search_fields = ("customer__member_name", "mail__subject", "=performer__username")
    raw_id_fields = ("performer", "mail", "customer", "event")


@admin.register(Offer)
class OfferAdmin(TenantChildAdmin):
    list_display = ("customer", "performer", "value", "sent_at", "expires_at", "redeemed_at")
    list_select_related = ("customer", "performer")
    list_filter = ("sent_at", "expires_at", "redeemed_at")
    search_fields = ("customer__member_name", "=performer__username")


@admin.register(Feedback)
class FeedbackAdmin(TenantChildAdmin):
    list_display = ("customer", "performer", "rating", "created_at", "comment")
    list_select_related = ("customer", "performer")
    list_filter = ("rating", "created_at")
    search_fields = ("customer__member_name", "comment", "=performer__username")


@admin.register(Note)
class NoteAdmin(TenantChildAdmin):
    list_display = ("customer", "performer", "created_at", "updated_at", "__str__")
    list_select_related = ("customer", "performer")
    list_filter = ("created_at",)
    search_fields = ("customer__member_name", "body", "=performer__username")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "performer", "verb", "detail")
    list_select_related = ("customer", "performer")
    list_filter = ("verb", "created_at")
    search_fields = ("customer__member_name", "=performer__username")
    raw_id_fields = ("performer", "customer")
    readonly_fields = ("shared_by",)

    @admin.display(description="shared by")
    def shared_by(self, activity: Activity) -> str:
        """A mass action's one entry has no customer: how many customers it names (the
        admin cannot list ActivityCustomer, whose key is composite)."""
        if activity.customer_id is not None:
            return "—"
        # The performer first: the link table's one index leads with it.
        links = ActivityCustomer.objects.filter(
            performer_id=activity.performer_id, activity=activity
        )
        return f"{links.count():,} customers"
