from django import forms

from sections.models import DiscussionNote


class DiscussionNoteForm(forms.ModelForm):
    """The lead's editor. `version` is the revision the text was loaded from: saving checks it,
    so a lead who edited an older version is told instead of overwriting someone else."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = DiscussionNote
        fields = ["body", "status"]
        labels = {"body": "Notes"}
        help_texts = {
            "body": "Markdown: **bold**, *italic*, lists, > quotes, `code`, tables and "
            "[links](https://example.org). Other HTML is removed.",
            "status": "Drafts are seen only by the meeting's leads and organizers.",
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 16}),
            "status": forms.RadioSelect,
        }
