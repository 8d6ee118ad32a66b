from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project itself as an app: the periodic schedule (tasks.py) and the demo command."""

    name = "config"
    label = "qoldau_project"
    verbose_name = "Qoldau"
