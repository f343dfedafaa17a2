from django import forms
from django.core.exceptions import ValidationError

MAX_IMPORT_CHARACTERS = 200_000


class PaperImportForm(forms.Form):
    text = forms.CharField(
        label="BibTeX or arXiv ids",
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "spellcheck": "false"}),
        help_text=(
            "Paste one or many BibTeX entries, and/or arXiv ids or URLs (2201.02177, "
            "2201.02177v2, hep-th/9901001, https://arxiv.org/abs/…, https://arxiv.org/pdf/…), "
            f"up to {MAX_IMPORT_CHARACTERS:,} characters at a time."
        ),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text) > MAX_IMPORT_CHARACTERS:
            raise ValidationError(
                "That is %(length)s characters; paste at most %(limit)s at a time (split the "
                "file and import it in parts).",
                code="too_long",
                params={
                    "length": f"{len(text):,}",
                    "limit": f"{MAX_IMPORT_CHARACTERS:,}",
                },
            )
        return text
