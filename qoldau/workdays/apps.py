from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "qoldau.workdays"
    label = "workdays"
    verbose_name = _("Working days")

    def ready(self) -> None:
        from django.core import checks

        from qoldau.workdays.checks import check_next_year_loaded

        checks.register(check_next_year_loaded)
