"""A URL configuration where every URL name of the navigation table resolves to a stub page.

The real pages of other apps arrive over time; these tests check the table and its rendering
without waiting for them. Mirrors config/urls.py (which the web layer may not import).
"""

from __future__ import annotations

from collections import defaultdict

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from qoldau.web.navigation import NAVIGATION


def stub(request: HttpRequest) -> HttpResponse:
    return HttpResponse("stub")


def _stub_namespaces() -> list[URLResolver]:
    names: dict[str, set[str]] = defaultdict(set)
    for section in NAVIGATION.values():
        for item in section.items:
            namespace, _sep, name = item.url_name.rpartition(":")
            if namespace not in {"admin", "web"}:
                names[namespace].add(name)
    return [
        path(
            f"{namespace}/",
            include(([path(f"{n}/", stub, name=n) for n in sorted(ns)], namespace)),
        )
        for namespace, ns in sorted(names.items())
    ]


urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("qoldau.accounts.language_urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    *_stub_namespaces(),
    path("", include("qoldau.web.urls")),
    prefix_default_language=True,
)
