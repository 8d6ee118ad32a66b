"""Domain errors of the working-day calendar."""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from qoldau.core.errors import DomainError


def _interpolate(message: StrOrPromise, params: dict[str, Any]) -> str:
    return str(message) % params


# Formats a lazy message when it is rendered, so it appears in the reader's language.
interpolate_lazy = lazy(_interpolate, str)


class CalendarNotLoaded(DomainError):
    """A date outside the loaded years: never guess, name the year to load."""

    status = 409

    def __init__(self, year: int) -> None:
        super().__init__(
            "workdays_year_not_loaded",
            interpolate_lazy(
                _(
                    "The working-day calendar has no data for %(year)s. "
                    "Load it with: qoldau workdays load --year %(year)s"
                ),
                {"year": year},
            ),
            params={"year": year},
        )
        self.year = year
