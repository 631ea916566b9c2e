from __future__ import annotations

from django.views.generic import ListView

from mycustomers.views.mixins import PerformerCustomersMixin


class CustomerListView(PerformerCustomersMixin, ListView):
    """Placeholder until the main-view issue lands: the table replaces it."""

    template_name = "customers/customer_list.html"
    paginate_by = 20

    def get_queryset(self):
        return super().get_queryset().visible().order_by("-last_contact", "member_name")
