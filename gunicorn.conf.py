"""gunicorn's settings, read from the working directory: ``gunicorn mycustomers.wsgi``.

Two worker processes of four threads each fit two cores (the threads overlap database
round trips); the app is loaded once, before the workers fork.
"""

import gc

workers = 2
worker_class = "gthread"
threads = 4
preload_app = True


def pre_fork(server, worker):
    # What the app loaded (Django, URL patterns, templates, ...) lives as long as the worker:
    # out of the garbage collector's full passes, which would walk all of it again and again
    # (and touch, hence copy, the memory pages the forked workers share).
    gc.freeze()
