from __future__ import annotations

from functools import cached_property

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.shortcuts import get_object_or_404

from mycustomers.models import Customer
from mycustomers.once import DRAFT, draft_token, redirect_to_new_draft


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


class DraftMixin:
    """A compose page whose one-time token lives in its address (``mycustomers.once``): the
    first GET redirects to the address with a new token, which every later load of that
    history entry keeps. ``sent_model`` holds the rows the page creates."""

    sent_model: type[models.Model]

    def get(self, request, *args, **kwargs):
        if draft_token(request) is None:
            return redirect_to_new_draft(request)
        return super().get(request, *args, **kwargs)

    def draft_initial(self) -> dict:
        return {"token": draft_token(self.request)}

    def draft_context(self) -> dict:
        """``sent_already``: this page's token was used, so Send would be refused (the page
        says so before it is tried); ``new_draft_url``: the same page with a new token."""
        token = draft_token(self.request)
        rows = self.sent_model.objects.for_performer(self.request.user)
        fresh = self.request.GET.copy()
        fresh.pop(DRAFT, None)
        return {
            "sent_already": token is not None and rows.filter(token=token).exists(),
            "new_draft_url": f"{self.request.path}?{fresh.urlencode()}",
        }
