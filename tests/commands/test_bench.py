from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from mycustomers.devtools.bench import SORT_KEYS, percentile

pytestmark = pytest.mark.django_db


def test_bench_measures_every_part_on_a_tiny_data_set_and_writes_json(tmp_path, settings):
    # Its mass actions run in the background (queued, then applied chunk by chunk).
    settings.MYCUSTOMERS = {
        **settings.MYCUSTOMERS,
        "BACKGROUND_ACTION_MIN": 10,
        "BACKGROUND_CHUNK": 25,
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    out = tmp_path / "bench.json"
    call_command(
        "bench", customers=60, events=300, performers=1, repeat=2, import_rows=200,
        json=str(out), stdout=io.StringIO(),
    )  # fmt: skip

    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1 and results["machine"]["postgresql"]
    groups = {r["group"] for r in results["results"]}
    assert {"main/20", "main/50", "filter", "uncached", "customer", "baseline", "action",
            "record", "import", "insights"} <= groups  # fmt: skip
    sorts = {r["name"] for r in results["results"] if r["group"] == "main/20"}
    assert {f"sort={key} page=1" for key in SORT_KEYS} <= sorts
    assert all(r["queries"] <= 6 for r in results["results"] if r["group"] == "main/20")
    # Uncached, a page reads the Display list choices, the saved-view tabs, the view's
    # count and totals (one aggregate), the summary strip and the (empty) banner again.
    queries = {(r["group"], r["name"]): r["queries"] for r in results["results"]}
    assert queries["uncached", "letter B"] == queries["filter", "letter B"] + 5
    assert (
        next(r for r in results["results"] if r["name"] == "batches of 1000")["extra"]["drift"] == 0
    )
    background = {r["name"]: r["extra"] for r in results["results"] if "background" in r["name"]}
    assert set(background) == {
        f"{name} all: background, per transaction"
        for name in ("block", "delete", "undo delete", "assign", "send_mail")
    }
    for extra in background.values():  # ~60 visible customers, 25 per transaction
        assert extra["chunks"] == 3 and 40 <= extra["changed"] <= 60
    # To completion beside the raw SQL of the same writes.
    for name in ("block", "delete", "undo delete", "assign"):
        assert background[f"{name} all: background, per transaction"]["ratio_to_raw"] > 0
    # Each figure beside its anchor, with the ratio; the machine's load beside every figure.
    extras = {(r["group"], r["name"]): r["extra"] for r in results["results"]}
    export = next(extra for (group, _), extra in extras.items() if group == "export")
    assert export["speed_vs_anchor"] > 0 and "–" in export["spread"]
    assert ("export", "bare COPY of the same query") in extras
    for action in ("block", "delete", "assign"):
        assert ("action", f"{action}: raw SQL, the same writes") in extras
    assert all(
        extra["speed_vs_copy"] > 0 for (group, _), extra in extras.items() if group == "import"
    )
    assert all("load1" in r["extra"] for r in results["results"])
    # The seed's time and the database's size per 100,000 customers.
    assert ("data", "seed_demo 60 / 300 + 1 performers") in extras
    assert extras["data", "database size"]["mb_per_100k_customers"] > 0
    middle = [name for group, name in extras if group == "main/20" and name.startswith("middle")]
    assert len(middle) == 2


@pytest.mark.parametrize(
    "values, pct, expected",
    [
        (list(range(1, 21)), 95, 19),  # nearest rank: 19 of 20 values at or below
        (list(range(1, 21)), 50, 10),
        (list(range(1, 101)), 95, 95),
        ([7.0], 95, 7.0),
        ([3, 1, 2], 100, 3),
    ],
)
def test_percentile_is_the_nearest_rank(values, pct, expected):
    assert percentile(values, pct) == expected


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request (CONN_MAX_AGE is
    0 in tests): keep the test's transaction open, as the test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_bench_cpu_measures_every_page_through_the_wsgi_handler_and_profiles(
    tmp_path, connection_kept
):
    out = tmp_path / "bench.json"
    text = io.StringIO()
    call_command(
        "bench", only=["cpu"], customers=60, events=300, performers=1, repeat=2, quick=True,
        profile=str(tmp_path / "prof"), json=str(out), stdout=text,
    )  # fmt: skip

    results = json.loads(out.read_text())["results"]
    groups = {r["group"] for r in results}
    assert {"cpu/main/20", "cpu/main/50", "cpu/filter", "cpu/customer", "cpu/lists"} == groups - {
        "data"
    }
    assert all(r["median_ms"] > 0 for r in results if r["group"] != "data")
    assert {p.name for p in tmp_path.glob("prof-*.pstats")} == {
        "prof-main20.pstats", "prof-main50.pstats", "prof-filter.pstats", "prof-customer.pstats"
    }  # fmt: skip
    assert "own time per request by area" in text.getvalue()


def test_bench_indexes_weighs_each_customer_index_read_against_write(tmp_path):
    out = tmp_path / "bench.json"
    call_command(
        "bench", only=["indexes"], customers=60, events=300, performers=1,
        json=str(out), stdout=io.StringIO(),
    )  # fmt: skip
    results = json.loads(out.read_text())["results"]
    parts = {r["name"]: r["extra"]["rows"] for r in results if r["group"] != "data"}
    reads = {row["index"] for row in parts["reads"]}
    assert {"cust_vis_earnings", "customer_status_idx", "cust_vis_missed"} <= reads
    assert all(row["with_ms"] >= 0 and row["without_ms"] >= 0 for row in parts["reads"])
    writes = {row["index"]: row for row in parts["writes"]}
    assert "c_cust_vis_earnings" in writes and "c_cust_vis_missed" in writes
    assert all(row["rows"] > 0 and row["with"]["wal_bytes"] > 0 for row in writes.values())
    assert {row["fillfactor"] for row in parts["hot"]} == {100, 90, 80}
