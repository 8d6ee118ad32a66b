"""System check: the p.20 text variant setting must name a text the policy table holds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.translation import gettext as _


def check_p20_text(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    value = getattr(settings, "QOLDAU_P20_TEXT", None)
    if value in ("kk", "ru"):
        return []
    return [
        Error(
            _('QOLDAU_P20_TEXT must be "kk" or "ru", not %(value)r.') % {"value": value},
            hint=_("See docs/adr/0002-rules-p20-discrepancy.md."),
            id="policy.E001",
        )
    ]
