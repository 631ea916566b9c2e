"""The caller card (SPEC D12): who is calling or chatting, at a glance."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.views.generic import TemplateView

from contacts.models import Note
from mycustomers.forms import LookupForm
from mycustomers.insights import rhythm_in_words
from mycustomers.models import Customer
from mycustomers.views.detail import identity_context

CARD_NOTES = 3


class CallerCardView(LoginRequiredMixin, TemplateView):
    """``?member=NAME``: the performer's customer with that member name (any case).

    Another performer's customer gets exactly the unknown-name answer, and the typed name is
    not echoed back, so the page reveals nothing about who exists. Deleted customers are
    shown, with a Deleted badge: their notes are still here and contacting the performer
    brings them back (A5).
    """

    template_name = "customers/lookup.html"

    def get(self, request, *args, **kwargs):
        form = LookupForm(request.GET if "member" in request.GET else None)
        context = {"form": form, "searched": form.is_bound}
        if not form.is_bound:
            return self.render_to_response(context)
        if not form.is_valid():
            return self.render_to_response(context, status=400)
        customer = self.find(form.cleaned_data["member"])
        if customer is None:
            context["form"] = LookupForm()  # blank: don't echo the name back
            return self.render_to_response(context)
        notes = Note.objects.for_performer(request.user).filter(customer=customer)
        context |= identity_context(customer)
        context["notes"] = notes.order_by("-created_at", "-id")[:CARD_NOTES]
        context["rhythm"] = rhythm_in_words(customer, timezone.localdate())
        context["form"] = LookupForm()
        return self.render_to_response(context)

    def find(self, name: str) -> Customer | None:
        # Member names are unique platform-wide but may differ only in case: prefer the
        # exact spelling.
        return (
            Customer.objects.for_performer(self.request.user)
            .filter(member_name__iexact=name)
            .select_related("member")
            .order_by(
                Case(
                    When(member_name=name, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                "member_name",
            )
            .first()
        )
