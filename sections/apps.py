from django.apps import AppConfig


class SectionsConfig(AppConfig):
    name = "sections"
    verbose_name = "Sections and meetings"

    def ready(self):
        from core.freshness import watch
        from sections import signals  # noqa: F401 - connects the meeting sync receivers

        # What members see of sections: any write to these moves the data version on.
        # (`updated_at` only stamps the calendar events; a change it stamps counts by itself.)
        Section = self.get_model("Section")
        watch(Section)
        watch(Section.leads.through)
        watch(self.get_model("Meeting"), ignore=["updated_at"])
        watch(self.get_model("DiscussionNote"), ignore=["updated_at"])
