"""The progress of mass actions running in the background (mycustomers.mass_actions): the
banner above the main table, polled by htmx while one runs, and its Stop / Dismiss buttons."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views import View

from mycustomers.mass_actions import cancel, describe
from mycustomers.models import MassAction

TEMPLATE = "customers/_background_actions.html"


def background_context(performer) -> dict:
    """The banner's rows (one query): actions running, and finished ones not yet dismissed."""
    actions = list(MassAction.objects.for_performer(performer).to_show())
    return {
        "background_actions": [(action, describe(action)) for action in actions],
        "background_running": any(action.is_running for action in actions),
    }


class BackgroundActionsView(LoginRequiredMixin, View):
    """GET: the banner alone, for htmx to swap in while an action runs."""

    def get(self, request, *args, **kwargs):
        return TemplateResponse(request, TEMPLATE, background_context(request.user))


class BackgroundActionChangeView(LoginRequiredMixin, View):
    """POST: stop or dismiss one of the performer's actions, then back to the main view."""

    http_method_names = ["post"]
    change = ""  # "stop" or "dismiss"

    def post(self, request, pk: int, *args, **kwargs):
        action = get_object_or_404(MassAction.objects.for_performer(request.user), pk=pk)
        if self.change == "stop":
            cancel(action)
        else:
            MassAction.objects.filter(pk=action.pk).exclude(state=MassAction.State.RUNNING).update(
                dismissed=True
            )
        if request.htmx:
            return TemplateResponse(request, TEMPLATE, background_context(request.user))
        return redirect("customers:list")
