"""The knowledge-base API under /api/v1/kb/: the operators' search (R6).

``GET /api/v1/kb/search?q=&lang=&limit=`` returns the same list as ``qoldau kb search --json``:
``[{"external_id", "language", "title", "score"}]``, best first. A signed-in session or an API
key is required; a missing or over-long query, an unknown language or a limit outside 1..50 is a
422 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from qoldau.knowledge import selectors

router = Router(tags=["knowledge"])


class SearchHitOut(Schema):
    external_id: str
    language: str
    title: str
    score: float


@router.get("/search", response=list[SearchHitOut], summary="Search the knowledge base")
def search(
    request: HttpRequest, q: str | None = None, lang: str = "kk", limit: int = 10
) -> list[dict[str, Any]]:
    """Published articles for ``q``: versions in ``lang`` first; an article without one is
    found in its fallback language (the hit's ``language`` says which)."""
    return selectors.knowledge_search_list(query=q or "", language=lang, limit=limit)
