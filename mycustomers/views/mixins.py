from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin

from mycustomers.models import Customer


class PerformerCustomersMixin(LoginRequiredMixin):
    """The one door to customer rows: always the logged-in performer's own.

    A foreign or unknown id therefore 404s (not 403) and reveals nothing.
    """

    def get_queryset(self):
        return Customer.objects.for_performer(self.request.user)
