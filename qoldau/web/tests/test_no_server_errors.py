"""Every URL of the product, asked with junk by each kind of visitor, answers without a server
error (R34: bad input gets a clear answer, never a 500). A regression net over all views: the
views' own tests check what the answers say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from qoldau.accounts.enums import Role
from qoldau.web.tests.conftest import MakeUser

_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
_JUNK_BY_CONVERTER = {
    "int": "999999",
    "slug": "no-such-thing",
    "uuid": "7e9c1b1e-0000-4000-8000-000000000000",
}
_JUNK_QUERY = {"q": "ЖСН%", "page": "-1", "date_from": "2026-13-45", "language": "zz", "pk": "x"}
_JUNK_FORM = {
    "text": "ы" * 20_000,
    "number": "'; DROP TABLE x; --",
    "operator": "999999",
    "queue": "x",
    "skill": "-1",
    "phone": "not a phone",
    "held_on": "yesterday",
    "kind": "\ufeff",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _urls() -> list[str]:
    urls = set()
    for pattern in _patterns(get_resolver()):
        if pattern.startswith(("admin/", "static/")) or "(?P" in pattern or "^" in pattern:
            continue
        filled = _ARGUMENT.sub(lambda m: _JUNK_BY_CONVERTER.get(m.group(1) or "str", "x"), pattern)
        urls.add("/" + filled)
    return sorted(urls)


# The supervisor and the administrator between them reach every staff page; the operator's
# pages are the supervisor's too.
@pytest.mark.parametrize("role", [None, Role.SUPERVISOR, Role.UCC_ADMIN])
def test_no_url_answers_junk_with_a_server_error(make_user: MakeUser, role: str | None) -> None:
    client = Client(raise_request_exception=False)
    if role is not None:
        client.force_login(make_user(roles=[role]))
    failures: list[tuple[str, str, Any]] = []
    urls = _urls()
    assert len(urls) > 100, "the URL list is the product's"
    for url in urls:
        answers = {
            "GET": client.get(url, _JUNK_QUERY),
            "POST form": client.post(url, _JUNK_FORM),
        }
        if url.startswith("/api/"):
            answers["POST json"] = client.post(url, '{"a": [', content_type="application/json")
        failures += [
            (how, url, r.status_code) for how, r in answers.items() if r.status_code >= 500
        ]
    assert failures == []
