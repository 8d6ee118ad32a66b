"""Start-up work of a web process that should not wait for the first request."""

from __future__ import annotations

import gc
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


def _prepare_request_paths() -> None:
    """What the first request of a fresh worker would otherwise do while its clients wait (a
    second or more under load): import every view, compile the e-mail validator's patterns,
    read the translation catalogues, fill the API intake's per-language caches."""
    from django.core.validators import validate_email
    from django.urls import get_resolver

    from qoldau.appeals.intake import intake_warm_up

    try:
        get_resolver().url_patterns  # noqa: B018  (imports the URLconf and every view)
        validate_email("warm-up@example.kz")
        intake_warm_up()
    except Exception:  # never stop a worker for this: the first request does it then
        logger.exception("warm-up: the request paths could not be prepared")
    finally:
        connection.close()


def _warm_up() -> None:
    _prepare_request_paths()
    _build_search_index()
    gc.freeze()  # the index lives as long as the process: keep it out of full collections


def warm_up_in_background() -> None:
    """Prepare the request paths and build the in-memory search index in a thread, so the
    first requests are fast. Not under tests: their live servers must not read the database
    behind the test's back."""
    if settings.TESTING:
        return
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
