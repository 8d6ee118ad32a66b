"""Test-wide fixtures. Browser fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Tests read messages in English unless they switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Per-process caches (API keys, deadlines) must not carry rows of one test into another."""
    from qoldau.accounts.services import api_key_cache_clear
    from qoldau.policy.selectors import policy_cache_clear

    api_key_cache_clear()
    policy_cache_clear()
    yield
    api_key_cache_clear()
    policy_cache_clear()


@pytest.fixture(autouse=True)
def _no_committer_left() -> Iterator[None]:
    """A test that went through the intake's group committer stops it, with its connection."""
    yield
    from qoldau.appeals.intake import group_committer_stop

    group_committer_stop()
