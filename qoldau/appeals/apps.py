from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "qoldau.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from qoldau.appeals.distribution import distribution_subscribe
        from qoldau.appeals.mail_intake import subscribe_to_mail

        subscribe_to_mail()
        distribution_subscribe()
