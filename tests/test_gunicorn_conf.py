"""gunicorn.conf.py: what `gunicorn mycustomers.wsgi` runs with (README, make load)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_two_threaded_workers_with_the_app_preloaded():
    conf = runpy.run_path(str(CONF))
    assert (conf["workers"], conf["worker_class"], conf["threads"]) == (2, "gthread", 4)
    assert conf["preload_app"] is True


def test_before_forking_the_loaded_app_leaves_the_collectors_passes():
    conf = runpy.run_path(str(CONF))
    gc.unfreeze()
    try:
        conf["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
