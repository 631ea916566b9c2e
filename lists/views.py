from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from lists.models import CustomerList


class ListIndexView(LoginRequiredMixin, ListView):
    """Placeholder until the lists issue lands."""

    template_name = "lists/list_index.html"

    def get_queryset(self):
        return CustomerList.objects.for_performer(self.request.user)
