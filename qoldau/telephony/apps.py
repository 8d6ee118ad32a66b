from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "qoldau.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from qoldau.telephony.control import control_register_transport, control_subscribe

        control_subscribe()
        control_register_transport()
