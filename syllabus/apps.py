from django.apps import AppConfig


class SyllabusConfig(AppConfig):
    name = "syllabus"
    verbose_name = "Syllabus"
