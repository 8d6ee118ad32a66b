from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "qoldau.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from qoldau.core.events import subscribe
        from qoldau.knowledge.handlers import on_bylaw_changed

        # R23: the registry announces a by-law change; the articles it touches are flagged.
        subscribe("registry.bylaw_changed", on_bylaw_changed)
