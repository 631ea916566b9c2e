"""gunicorn.conf.py: what `gunicorn mycustomers.wsgi` runs with (README, make load)."""

from __future__ import annotations

import gc
import os
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_synchronous_workers_two_per_core_plus_one_with_the_app_preloaded(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    conf = runpy.run_path(str(CONF))
    assert (conf["workers"], conf["worker_class"]) == (5, "sync")
    assert "threads" not in conf  # more than one thread would make gunicorn use gthread
    assert conf["preload_app"] is True


def test_web_concurrency_sets_the_number_of_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert runpy.run_path(str(CONF))["workers"] == 2


def test_before_forking_the_loaded_app_leaves_the_collectors_passes():
    conf = runpy.run_path(str(CONF))
    gc.unfreeze()
    try:
        conf["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
