from django import forms
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from wagtail.images.fields import WagtailImageField

from qa_site.knowledge.editor import ANSWER_MAX_LENGTH, MarkdownEditor
from qa_site.knowledge.forms import PageMultipleChoiceField
from qa_site.knowledge.models import TopicPage


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        max_length=ANSWER_MAX_LENGTH,
        widget=MarkdownEditor(),
        help_text="Coordinators check every answer for personal data before it is shared.",
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


# --- The expert's own settings, and applying to join the panel.

PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
PHOTO_MAX_BYTES = 5 * 1024 * 1024


class PhotoField(WagtailImageField):
    """An image upload checked as Wagtail checks its own (a real image whose format matches its name), narrowed
    to JPEG, PNG or WebP of at most 5 MB."""

    default_validators = [FileExtensionValidator(PHOTO_EXTENSIONS)]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_image_extensions = list(PHOTO_EXTENSIONS)
        self.max_upload_size = PHOTO_MAX_BYTES
        self.max_upload_size_text = filesizeformat(PHOTO_MAX_BYTES)
        self.help_text = "A JPEG, PNG or WebP image of at most 5 MB. It is shown cropped to a square."
        self.error_messages["invalid_image_extension"] = "Upload a JPEG, PNG or WebP image."
        self.error_messages["file_too_large"] = "This file is too big (%(file_size)s): the limit is %(max_filesize)s."


def live_topics():
    return TopicPage.objects.live().order_by("title")


class TopicsField(PageMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            queryset=live_topics(),
            error_messages={
                "required": "Choose at least one topic.",
                "invalid_choice": "Choose topics from the list",
                "invalid_pk_value": "Choose topics from the list",
            },
            **kwargs,
        )


class ExpertSettingsForm(forms.Form):
    topics = TopicsField(label="Topics you answer on")
    max_open_questions = forms.IntegerField(
        label="Most questions open at once",
        min_value=1,
        max_value=50,
        help_text="New questions stop coming to you while this many are waiting for your answer (1 to 50).",
    )
    accepting_new = forms.BooleanField(
        label="Accepting new questions",
        required=False,
        help_text="Untick to stop new questions for now; the ones you have stay with you.",
    )
    away_from = forms.DateField(
        label="Away from", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    away_until = forms.DateField(
        label="Away until (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty if you do not know yet: you stay away until you clear “Away from”.",
    )
    headline = forms.CharField(
        max_length=200, help_text="One line under your name, e.g. “Charity solicitor, 20 years in the sector”."
    )
    organisation = forms.CharField(max_length=200, required=False)
    bio = forms.CharField(
        label="About you",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Shown on your public profile.",
    )
    photo = PhotoField(label="Photo", required=False)
    remove_photo = forms.BooleanField(label="Remove my photo", required=False)

    def __init__(self, *args, has_photo=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_photo:
            del self.fields["remove_photo"]

    def clean(self):
        data = super().clean()
        away_from, away_until = data.get("away_from"), data.get("away_until")
        if away_until and not away_from:
            self.add_error("away_from", "Give the first day you are away as well.")
        elif away_from and away_until and away_until < away_from:
            self.add_error("away_until", "“Away until” cannot be before “Away from”.")
        if data.get("photo") and data.get("remove_photo"):
            self.add_error("remove_photo", "Either upload a new photo or remove the current one, not both.")
        return data

    @classmethod
    def initial_for(cls, profile):
        return {
            "topics": list(profile.topics.values_list("pk", flat=True)),
            "max_open_questions": profile.max_open_questions,
            "accepting_new": profile.accepting_new,
            "away_from": profile.away_from,
            "away_until": profile.away_until,
            "headline": profile.headline,
            "organisation": profile.organisation,
            "bio": profile.bio,
        }


class ApplicationForm(forms.Form):
    headline = forms.CharField(
        max_length=200,
        help_text="One line about you, e.g. “Employment solicitor advising charities since 2008”.",
        error_messages={
            "required": "Enter a headline: one line about you",
            "max_length": "Shorten your headline to at most %(limit_value)d characters",
        },
    )
    organisation = forms.CharField(
        max_length=200,
        required=False,
        error_messages={"max_length": "Shorten the organisation's name to at most %(limit_value)d characters"},
    )
    bio = forms.CharField(
        label="About you",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="As you would introduce yourself to an adviser; shown on your profile if you join.",
        error_messages={
            "required": "Tell advisers about yourself",
            "max_length": "Shorten “About you” to at most %(limit_value)d characters",
        },
    )
    experience = forms.CharField(
        label="Relevant experience and qualifications",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="For the coordinators: your work with voluntary organisations, professional qualifications, "
        "memberships.",
        error_messages={
            "required": "Enter your relevant experience and qualifications",
            "max_length": "Shorten your experience to at most %(limit_value)d characters",
        },
    )
    topics = TopicsField(label="Topics you could answer on")
