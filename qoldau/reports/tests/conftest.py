from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qoldau.accounts.enums import Role
from qoldau.registry.tests.factories import make_user

MakeUser = Callable[..., Any]


@pytest.fixture
def user_with(db: None) -> MakeUser:
    def make(*roles: str) -> Any:
        return make_user(organisation=None, roles=list(roles))

    return make


@pytest.fixture
def supervisor(user_with: MakeUser) -> Any:
    return user_with(Role.SUPERVISOR)
