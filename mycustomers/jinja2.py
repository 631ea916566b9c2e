"""The Jinja2 environment of the main view's page body (templates/customers/*.jinja).

The body of a main-view page makes ~700 variable lookups and ~40 URL and static tags; Django's
template engine resolves each through its context stack at run time, Jinja2 compiles them to
Python once (docs/performance.md). Autoescaping is on (Django's Jinja2 backend), and Django's
safe strings (cells, form fields) keep their markup through ``__html__``.
"""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import pluralize
from django.templatetags.static import static
from jinja2 import Environment

from mycustomers.templatetags.remembered_urls import remembered_reverse


def url(view_name: str, *args) -> str:
    """``{% url %}``: each URL reversed once per process, as in Django's templates."""
    return remembered_reverse(view_name, list(args), {}, None)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(url=url, static=static)
    env.filters.update(intcomma=intcomma, pluralize=pluralize)
    return env
