"""One-time tokens of forms whose sending writes something once (an appeal, a training).

A token is made when the form is shown and sent back hidden with it; the write it makes is
stored under the token, so the same form sent twice (a double click, a browser resending after
a lost answer) finds the first write instead of making a second.
"""

from __future__ import annotations

import re
import secrets

_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{16,64}")


def form_token_new() -> str:
    return secrets.token_urlsafe(18)


def form_token_valid(token: str | None) -> bool:
    """Whether ``token`` looks like one we made (anything else is treated as no token)."""
    return bool(_WELL_FORMED.fullmatch(token or ""))
