from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "qoldau.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from qoldau.core.outbox import outbox_register_transport
        from qoldau.mail.ports import email_transport

        # The outbox delivers the "email" channel through the adapter QOLDAU_MAIL_TRANSPORT names.
        outbox_register_transport("email", email_transport)
