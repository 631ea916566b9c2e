"""``{% url %}`` as Django's, each URL reversed once per process (a TEMPLATES builtin, so it
stands in for Django's tag in every template).

A main-view page has 25 ``{% url %}`` tags (the mass-action buttons twice), each a walk
through the URL patterns. A URL is a function of the view name, its arguments, the URL
configuration, the script prefix, the current app and the language, all in the key; only
plain string and integer arguments are remembered (a model instance's ``str()`` can change
while it stays equal), anything else is reversed every time.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

MAX_URLS = 4096
_URLS: dict[tuple, str] = {}
_PLAIN = (str, int)


def remembered_reverse(view_name, args: list, kwargs: dict, current_app) -> str:
    values = (*args, *kwargs.values())
    if not isinstance(view_name, str) or any(type(v) not in _PLAIN for v in values):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    key = (
        view_name,
        tuple(args),
        tuple(kwargs.items()),
        current_app,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_language(),
    )
    url = _URLS.get(key)
    if url is None:
        url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        if len(_URLS) >= MAX_URLS:
            _URLS.clear()
        _URLS[key] = url
    return url


class RememberedURLNode(defaulttags.URLNode):
    def render(self, context):
        # Django's URLNode.render, with remembered_reverse for reverse.
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = remembered_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
