"""gunicorn's settings, read from the working directory: ``gunicorn mycustomers.wsgi``.

Synchronous workers, (2 × cores) + 1 of them (gunicorn's advice; ``WEB_CONCURRENCY``
overrides), behind a buffering proxy. Every request is short — mass actions over many
customers run in the background worker (``manage.py db_worker``) — so a worker is never
held for long, and an idle worker takes the next connection: requests queue evenly. Measured
with ``make load`` (README, Performance): against two gthread workers of four threads, whose
keep-alive connections stay with the worker that accepted them (11 and 5 of 16) and whose
threads share one interpreter lock, p95 latency fell from ~230 to ~130 ms.
"""

import gc
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
preload_app = True


def pre_fork(server, worker):
    # What the app loaded (Django, URL patterns, templates, ...) lives as long as the worker:
    # out of the garbage collector's full passes, which would walk all of it again and again
    # (and touch, hence copy, the memory pages the forked workers share).
    gc.freeze()
