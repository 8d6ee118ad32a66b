"""System check: next year's working-day calendar must be loaded before the year turns."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning
from django.db import DatabaseError
from django.utils.translation import gettext as _

from qoldau.core import clock


def check_next_year_loaded(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn (W001) when next year is not loaded: deadlines running into it would fail.

    Silent when the table does not exist yet (``migrate`` runs checks before migrating)."""
    from qoldau.workdays.selectors import loaded_years

    try:
        years = loaded_years()
    except DatabaseError:
        return []
    next_year = clock.today().year + 1
    if next_year in years:
        return []
    return [
        Warning(
            _("The working-day calendar for %(year)s is not loaded.") % {"year": next_year},
            hint=_("Run: qoldau workdays load --year %(year)s") % {"year": next_year},
            id="workdays.W001",
        )
    ]
