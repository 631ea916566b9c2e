"""Admin for customer lists and their memberships (SPEC C1).

Every change goes through ``lists.services``, which keeps each customer's ``list_names``
(the sortable lists column) in step and logs the activity, exactly as the app does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.text import capfirst

from lists import services
from lists.models import CustomerList, Membership, SmartList
from mycustomers import jobs
from mycustomers.admin import TenantChildAdmin, changelist_link
from mycustomers.errors import ActionError
from mycustomers.models import Customer


class CustomerListForm(forms.ModelForm):
    class Meta:
        model = CustomerList
        fields = ("performer", "name")

    def clean(self):
        cleaned = super().clean()
        performer = cleaned.get("performer") or getattr(self.instance, "performer", None)
        if performer is not None and cleaned.get("name") is not None:
            try:
                cleaned["name"] = services.clean_list_name(
                    performer=performer,
                    name=cleaned["name"],
                    exclude=self.instance if self.instance.pk else None,
                )
            except ActionError as exc:
                self.add_error("name", str(exc))
        return cleaned


@admin.register(CustomerList)
class CustomerListAdmin(admin.ModelAdmin):
    form = CustomerListForm
    list_display = ("name", "performer", "created_at", "members")
    list_select_related = ("performer",)
    search_fields = ("name", "=performer__username")
    autocomplete_fields = ("performer",)
    show_full_result_count = False
    ordering = ("-pk",)

    def get_readonly_fields(self, request, obj=None):
        return ("performer", "created_at") if obj else ("created_at",)

    @admin.display(description="Members")
    def members(self, customer_list: CustomerList) -> str:
        return changelist_link(Membership, "members", customer_list__id__exact=customer_list.pk)

    def save_model(self, request, obj, form, change):
        if change:
            jobs.rename_list(performer=obj.performer, customer_list=obj, name=obj.name)
        else:
            created = services.create_list(performer=obj.performer, name=obj.name)
            obj.pk, obj.created_at = created.pk, created.created_at

    def get_deleted_objects(self, objs, request):
        # Memberships counted, not listed: Django's page collected and listed each one first
        # (6.6 s for a list of 5,000 members). Deleting a list deletes no customer (L6).
        lists = list(objs)
        members = Membership.objects.filter(customer_list__in=lists).count()
        perms_needed = set()
        membership_admin = self.admin_site.get_model_admin(Membership)
        if members and not membership_admin.has_delete_permission(request):
            perms_needed.add(Membership._meta.verbose_name)
        counts = {
            CustomerList._meta.verbose_name_plural: len(lists),
            Membership._meta.verbose_name_plural: members,
        }
        shown = [f"{capfirst(CustomerList._meta.verbose_name)}: {lst}" for lst in lists]
        return shown, counts, perms_needed, []

    def delete_model(self, request, obj):
        jobs.delete_list(performer=obj.performer, customer_list=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for customer_list in queryset.select_related("performer"):
            self.delete_model(request, customer_list)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("customer_list", "customer")

    def clean(self):
        cleaned = super().clean()
        customer_list, customer = cleaned.get("customer_list"), cleaned.get("customer")
        if customer_list and customer:
            if customer_list.performer_id != customer.performer_id:
                raise forms.ValidationError(
                    "The customer and the list belong to different performers."
                )
            if customer.is_blocked or customer.is_deleted:
                raise forms.ValidationError("Blocked and deleted customers can't join a list.")
            if Membership.objects.filter(customer_list=customer_list, customer=customer).exists():
                raise forms.ValidationError("The customer is already in that list.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantChildAdmin):
    form = MembershipForm
    list_display = ("customer", "customer_list", "performer", "added_at")
    list_select_related = ("customer", "customer_list", "performer")
    search_fields = ("customer__member_name", "customer_list__name", "=performer__username")
    autocomplete_fields = ("customer_list", "customer")

    def get_readonly_fields(self, request, obj=None):
        return ("performer", "added_at")

    def has_change_permission(self, request, obj=None):
        # Moving a membership is a remove plus an add; both keep list_names right.
        return False

    def save_model(self, request, obj, form, change):
        customer_list = obj.customer_list
        services.add_to_list(
            performer=customer_list.performer,
            customer_list=customer_list,
            customers=Customer.objects.filter(pk=obj.customer_id),
        )
        saved = Membership.objects.get(customer_list=customer_list, customer=obj.customer)
        obj.pk, obj.performer_id, obj.added_at = saved.pk, saved.performer_id, saved.added_at

    def delete_model(self, request, obj):
        services.remove_from_list(
            performer=obj.customer_list.performer,
            customer_list=obj.customer_list,
            customers=Customer.objects.filter(pk=obj.customer_id),
        )

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("customer_list__performer"):
            self.delete_model(request, membership)


@admin.register(SmartList)
class SmartListAdmin(admin.ModelAdmin):
    """Saved filters (F5): their members are computed in the main view, never stored."""

    list_display = ("name", "performer", "rules", "created_at")
    list_select_related = ("performer",)
    search_fields = ("name", "=performer__username")
    autocomplete_fields = ("performer",)
    show_full_result_count = False
    ordering = ("-pk",)
