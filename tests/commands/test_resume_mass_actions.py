from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from mycustomers.models import MassAction
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_it_finishes_what_a_stopped_worker_left(owner):
    customers = [make_customer(owner, name) for name in ("Anna", "Bob")]
    action = MassAction.objects.create(
        performer=owner,
        kind=MassAction.Kind.BLOCK,
        customer_ids=[c.pk for c in customers],
        total=2,
    )
    out = io.StringIO()
    call_command("resume_mass_actions", stdout=out)  # tests run tasks as they are queued
    assert out.getvalue() == "Queued again 1 unfinished background task(s).\n"
    action.refresh_from_db()
    assert (action.state, action.changed) == ("done", 2)

    out = io.StringIO()
    call_command("resume_mass_actions", stdout=out)
    assert out.getvalue() == ""
