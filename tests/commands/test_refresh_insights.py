"""``refresh_insights``, the daily refresh, and the insights in reconcile_counters, seed_demo
and import_events (R6)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from contacts import rhythm
from mycustomers import daily_refresh
from mycustomers.models import Customer
from tests.factories import PerformerFactory, add_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def regular(owner):
    for days in (60, 40, 20):
        add_event(owner, "ann", amount=5, ago=timedelta(days=days))
    return Customer.objects.get(member_name="ann")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_refresh_insights_sets_the_segment_and_says_how_many_changed(owner, regular):
    assert regular.segment == ""
    assert "owner: 1 customer(s) changed" in run("refresh_insights", "owner")
    assert Customer.objects.get(pk=regular.pk).segment == "Lost"  # the only paying one: 111
    assert "owner: 0 customer(s) changed" in run("refresh_insights")


def test_refresh_insights_refuses_an_unknown_performer(owner):
    with pytest.raises(CommandError, match="No such performer: nobody"):
        call_command("refresh_insights", "nobody")


def test_refresh_insights_can_explain_its_plan(owner, regular):
    assert "Execution Time" in run("refresh_insights", "owner", "--explain")


def test_reconcile_reports_a_wrong_usual_gap_and_fix_repairs_it(owner, regular):
    rhythm.refresh(owner)
    Customer.objects.filter(pk=regular.pk).update(usual_gap=7, due_date=None)
    with pytest.raises(CommandError) as failure:
        run("reconcile_counters")
    assert failure.value.returncode == 1
    out = run("reconcile_counters", "--fix")
    assert "usual_gap 7.0 → 20.0" in out and "Fixed 1 customer" in out
    assert "No drift" in run("reconcile_counters")


def test_an_import_ends_with_the_segments_of_its_performers(owner, tmp_path):
    now = timezone.now()
    lines = [
        {"performer": "owner", "member": "ann", "type": "mail_received", "amount": "5",
         "occurred_at": (now - timedelta(days=d)).isoformat()}
        for d in (30, 20, 10)
    ]  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    run("import_events", str(path))
    ann = Customer.objects.get(member_name="ann")
    assert (ann.usual_gap, ann.segment) == (10, "Lost")


def test_the_daily_refresh_queues_itself_for_the_next_midnight_once(owner, regular, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert daily_refresh.ensure_scheduled() is True
    assert daily_refresh.ensure_scheduled() is False
    (queued,) = DBTaskResult.objects.all()
    assert queued.run_after == daily_refresh.next_midnight()
    queued.claim("worker-1")  # midnight: a worker runs it
    daily_refresh.refresh_every_performer.call()
    assert Customer.objects.get(pk=regular.pk).segment == "Lost"
    assert DBTaskResult.objects.count() == 2  # the next one
    daily_refresh.refresh_every_performer.call()  # run again, its worker lost meanwhile
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # still one chain


def test_next_midnight_is_the_start_of_the_next_utc_day():
    assert daily_refresh.next_midnight(datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) == datetime(
        2026, 12, 3, tzinfo=UTC
    )


def test_seed_demo_leaves_no_insight_to_refresh():
    call_command("seed_demo", customers=40, events=400, performers=1, stdout=io.StringIO())
    for performer in PerformerFactory._meta.model.objects.all():
        assert rhythm.find_drift(performer) == []
    assert Customer.objects.exclude(segment="").exists()
