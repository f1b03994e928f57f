from django import forms


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Markdown: blank lines between paragraphs, “- ” for bullet points, **bold**. "
        "Coordinators check every answer for personal data before it is shared.",
    )

    def __init__(self, *args, submitting=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitting = submitting

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if self.submitting and len(body.split()) < 20:
            raise forms.ValidationError(
                "An answer needs at least 20 words. Save it as a draft if you are not finished."
            )
        return body


class ClarificationForm(forms.Form):
    message = forms.CharField(
        label="What do you need to know?",
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The adviser is e-mailed and replies on their question page.",
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why can't you take it?",
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The question goes to another expert and will not come back to you.",
    )
