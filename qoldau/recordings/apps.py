from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "qoldau.recordings"
    label = "recordings"
    verbose_name = _("Call recordings")

    def ready(self) -> None:
        from qoldau.core import events
        from qoldau.recordings.handlers import on_recording_available

        events.subscribe("telephony.recording_available", on_recording_available)
