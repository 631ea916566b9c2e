"""The performer's account: logging in and out, and the account page (their time zone and
the way to change their password)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import FormView

from mycustomers.account import set_time_zone
from mycustomers.forms import TimeZoneForm
from mycustomers.views.next_url import SitePathRedirectMixin


class LoginView(SitePathRedirectMixin, auth_views.LoginView):
    redirect_authenticated_user = True


class LogoutView(SitePathRedirectMixin, auth_views.LogoutView):
    pass


class AccountView(LoginRequiredMixin, FormView):
    template_name = "account.html"
    form_class = TimeZoneForm

    def get_initial(self):
        return {"time_zone": self.request.user.time_zone}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "now": timezone.now()}

    def form_valid(self, form):
        performer = self.request.user
        in_background = set_time_zone(performer=performer, name=form.cleaned_data["time_zone"])
        zone = performer.zone.key
        if in_background:
            messages.success(
                self.request,
                f"Time zone set to {zone}. Your customers' rhythm follows your new days in a "
                "moment (it is being recomputed in the background).",
            )
        else:
            messages.success(self.request, f"Time zone set to {zone}.")
        return redirect("account")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
