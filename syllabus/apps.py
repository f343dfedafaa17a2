from django.apps import AppConfig


class SyllabusConfig(AppConfig):
    name = "syllabus"
    verbose_name = "Syllabus"

    def ready(self):
        from syllabus import signals  # noqa: F401 - cache invalidation receivers
