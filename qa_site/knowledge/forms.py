from django import forms

from subscriptions.access import Visibility

from .editor import MarkdownEditor
from .models import TopicPage

MAX_PAGE_ID = 2**31 - 1  # Wagtail's page ids are 32-bit


def is_page_id(value):
    """Could ``value`` (as typed or sent) be a page's id? Asked before the database is: Django checks the range of
    plain integer lookups, but a page type's id is a link to its base page and is not checked, so a number past
    64 bits raises OverflowError on SQLite (a 500) instead of matching nothing."""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_PAGE_ID


class PageChoiceField(forms.ModelChoiceField):
    """Choose one page (a topic…) by id; an id no page can have is an invalid choice, not a query."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model) and not is_page_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PageMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Choose pages by id; ids no page can have are refused before the database is asked."""

    def clean(self, value):
        if isinstance(value, (list, tuple)):
            for pk in value:
                if pk not in self.empty_values and not isinstance(pk, self.queryset.model) and not is_page_id(pk):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super().clean(value)


class AskForm(forms.Form):
    title = forms.CharField(
        label="Your question in one line",
        min_length=15,
        max_length=200,
        help_text="e.g. “Can our volunteers claim mileage without it counting as pay?”",
        error_messages={
            "required": "Enter your question in one line",
            "min_length": "Write your question in at least 15 characters",
            "max_length": "Shorten your question to at most 200 characters (it has %(show_value)d)",
        },
    )
    details = forms.CharField(
        label="Details",
        min_length=30,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What has happened, what you have tried, and any deadline. Leave out names and contact details: "
        "the expert does not need them.",
        error_messages={
            "required": "Enter the details of your question",
            "min_length": "Give more detail: write at least 30 characters",
            "max_length": "Shorten the details to at most 10,000 characters (they have %(show_value)d)",
        },
    )
    topic = PageChoiceField(
        queryset=TopicPage.objects.none(),
        empty_label="Choose a topic…",
        error_messages={"required": "Choose a topic", "invalid_choice": "Choose a topic from the list"},
    )
    visibility = forms.ChoiceField(
        label="Who may read the answer?",
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who may read the answer",
            "invalid_choice": "Choose who may read the answer from the options given",
        },
    )
    network = forms.ModelChoiceField(
        queryset=None,
        label="Ask through",
        empty_label=None,
        error_messages={
            "invalid_choice": "You can only ask through a network you belong to that has a current subscription.",
            "required": "Choose the network you are asking through.",
        },
    )

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = TopicPage.objects.live().order_by("title")
        self.fields["network"].queryset = networks
        if len(networks) == 1:
            self.fields["network"].initial = networks[0]
            self.fields["network"].widget = forms.HiddenInput()

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if len(title) < 15:
            raise forms.ValidationError(self.fields["title"].error_messages["min_length"], code="min_length")
        return title


class PublishForm(forms.Form):
    """The coordinator's reviewed copy: edit out personal data before it is shared."""

    title = forms.CharField(max_length=200, min_length=5)
    question_text = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 6}))
    answer_text = forms.CharField(label="Answer (Markdown)", widget=MarkdownEditor(attrs={"rows": 16}))


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should the expert change?",
        min_length=5,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason, sent to the adviser", min_length=5, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ClarificationReplyForm(forms.Form):
    reply = forms.CharField(
        label="Your reply to the expert", min_length=2, max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )


class DuplicateForm(forms.Form):
    duplicate_of = forms.IntegerField(
        label="Id of the published answer that covers it",
        min_value=1,
        max_value=MAX_PAGE_ID,
        help_text="The number in the page's admin address, e.g. 42 in /admin/pages/42/.",
    )
    note = forms.CharField(required=False, max_length=2000, label="Note for the audit trail")

    def clean_duplicate_of(self):
        from .models import QuestionPage

        page = QuestionPage.objects.live().filter(pk=self.cleaned_data["duplicate_of"]).first()
        if page is None:
            raise forms.ValidationError("There is no live published answer with that id.")
        return page


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label="How useful was this answer?",
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(5, "5 — excellent"), (4, "4 — good"), (3, "3 — fair"), (2, "2 — poor"), (1, "1 — not useful")],
        error_messages={"required": "Choose from 1 to 5 stars.", "invalid_choice": "Choose from 1 to 5 stars."},
    )
    comment = forms.CharField(
        label="Anything the expert or coordinators should know? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HelpfulForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Choose “Yes” or “No”.", "invalid_choice": "Choose “Yes” or “No”."},
    )
