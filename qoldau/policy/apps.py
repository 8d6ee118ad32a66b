from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "qoldau.policy"
    label = "policy"
    verbose_name = _("Policy (the Rules as data)")

    def ready(self) -> None:
        from django.core import checks

        from qoldau.policy.checks import check_p20_text

        checks.register(check_p20_text)
