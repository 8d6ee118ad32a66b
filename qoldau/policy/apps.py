from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "qoldau.policy"
    label = "policy"
    verbose_name = _("Policy (the Rules as data)")
