from __future__ import annotations

from functools import cached_property

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.shortcuts import get_object_or_404

from mycustomers.models import Customer


class PerformerCustomersMixin(LoginRequiredMixin):
    """The one door to customer rows: always the logged-in performer's own.

    A foreign or unknown id therefore 404s (not 403) and reveals nothing.
    """

    def get_queryset(self):
        return Customer.objects.for_performer(self.request.user)


class OwnObjectMixin(LoginRequiredMixin):
    """One of the performer's own rows of ``owned_model`` from the URL's ``pk``, looked up
    before anything else (a 405 included): another performer's id is a 404, not a 403, so
    that nothing reveals that the id exists. Subclasses name it with a property."""

    owned_model: type[models.Model]

    @cached_property
    def owned(self) -> models.Model:
        rows = self.owned_model.objects.for_performer(self.request.user)
        return get_object_or_404(rows, pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _ = self.owned
        return super().dispatch(request, *args, **kwargs)
