from django.apps import AppConfig


class SectionsConfig(AppConfig):
    name = "sections"
    verbose_name = "Sections and meetings"

    def ready(self):
        from sections import signals  # noqa: F401 - connects the meeting sync receivers
