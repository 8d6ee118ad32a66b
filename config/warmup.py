"""Start-up work of a web process that should not wait for the first request."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def _build_search_index() -> None:
    from qoldau.knowledge.indexing import search_index

    try:
        search_index()
    except Exception:  # a missing table before migrate; the first search builds it then
        logger.exception("warm-up: the knowledge search index could not be built yet")
    finally:
        connection.close()


def warm_up_in_background() -> None:
    """Build the in-memory search index in a thread, so the first operator's search is fast.
    Not under tests: their live servers must not read the database behind the test's back."""
    if settings.TESTING:
        return
    threading.Thread(target=_build_search_index, name="search-warm-up", daemon=True).start()
