"""Mass actions (SPEC §4). Placeholder until the mass-actions issue lands: the detail page
already links to Send Mail."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class SendMailView(LoginRequiredMixin, TemplateView):
    """Stub: the compose page is built by the mass-actions issue."""

    template_name = "customers/send_mail_stub.html"
