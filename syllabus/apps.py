from django.apps import AppConfig


class SyllabusConfig(AppConfig):
    name = "syllabus"
    verbose_name = "Syllabus"

    def ready(self):
        from django.contrib.auth import get_user_model

        from core.freshness import watch

        # What members see of the syllabus: any write to these moves the data version on.
        Term = self.get_model("Term")
        watch(Term, ignore=["updated_at"])
        watch(Term.organizers.through)
        watch(self.get_model("Week"))
        watch(self.get_model("Paper"), ignore=["updated_at"])
        watch(self.get_model("Reading"))
        # Organizers' and leads' names appear on pages; a login only stamps last_login.
        watch(
            get_user_model(),
            columns=["username", "first_name", "last_name"],
            inserts_and_deletes=False,
        )
