from django.apps import AppConfig


class ReadingGroupConfig(AppConfig):
    name = "readinggroup"
    verbose_name = "Reading group"
