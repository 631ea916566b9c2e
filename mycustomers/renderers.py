"""The form renderer (``FORM_RENDERER``): Django's, remembering each widget's HTML.

A widget's HTML is a function of its template and its context alone (name, value,
attributes, choices; Django's widget templates read nothing else), and the same widgets come
back on every page: the main view's Filters panel renders 26 of them, through a dozen
template includes each, which was ~40 % of a page's CPU (docs/performance.md). The HTML is
the one Django renders, remembered under a key made of the whole context, exactly: a context
holding anything but plain data (a model instance, say) is rendered every time.
"""

from __future__ import annotations

from decimal import Decimal

from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData
from django.utils.translation import get_language

WIDGET_TEMPLATES = "django/forms/widgets/"
# One-off values (a form's send-once token): each would be a new entry.
NOT_REMEMBERED = frozenset({"django/forms/widgets/hidden.html"})
# Values rendered as they are; keyed with their type, since True == 1 but a template renders
# ``checked`` for one and ``checked="1"`` for the other.
_SCALARS = (bool, int, float, Decimal, type(None))


def frozen(value):
    """``value`` as a hashable key that tells apart whatever renders differently; TypeError
    for what it does not know."""
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        return ("dict", *((key, frozen(item)) for key, item in value.items()))
    if kind is list or kind is tuple:
        return ("list", *(frozen(item) for item in value))
    if isinstance(value, SafeData):  # not escaped when rendered
        return ("safe", str(value))
    if isinstance(value, Promise):  # a lazy translation: its text now
        return ("lazy", str(value))
    if isinstance(value, ModelChoiceIteratorValue):  # rendered as str(value)
        return ("choice", str(value))
    if kind in _SCALARS:
        return (kind.__name__, value)
    raise TypeError(f"no key for {kind.__name__}")


class CachedWidgetRenderer(DjangoTemplates):
    max_entries = 4096

    def __init__(self):
        super().__init__()
        self.widgets: dict[tuple, str] = {}

    def render(self, template_name, context, request=None):
        if (
            request is not None
            or not template_name.startswith(WIDGET_TEMPLATES)
            or template_name in NOT_REMEMBERED
        ):
            return super().render(template_name, context, request)
        try:
            key = (template_name, get_language(), frozen(context))
        except TypeError:
            return super().render(template_name, context, request)
        html = self.widgets.get(key)
        if html is None:
            html = super().render(template_name, context, request)
            if len(self.widgets) >= self.max_entries:  # bounded: values typed in filters vary
                self.widgets.clear()
            self.widgets[key] = html
        return html
