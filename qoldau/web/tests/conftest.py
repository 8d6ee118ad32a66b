from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from qoldau.accounts.models import User
from qoldau.accounts.services import user_create

PASSWORD = "Correct-Horse-1414"

MakeUser = Callable[..., User]


@pytest.fixture
def make_user(db: None) -> MakeUser:
    counter = iter(range(1, 10_000))

    def make(roles: Iterable[str] = (), **kwargs: Any) -> User:
        kwargs.setdefault("username", f"person{next(counter)}")
        kwargs.setdefault("organisation_id", None)
        return user_create(password=PASSWORD, roles=list(roles), **kwargs)

    return make
