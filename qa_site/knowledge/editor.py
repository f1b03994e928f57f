"""The Markdown editor for answers: a textarea with Write / Preview tabs and formatting help, and the preview endpoint.

``MarkdownEditor`` is a form widget (``widget=MarkdownEditor()``): without JavaScript it is a plain textarea with the
formatting help under it; ``js/markdown-editor.js`` adds the tabs. Preview asks the server (``preview``), which renders
with ``render_markdown``, the one renderer of every place an answer appears, so the preview is what will be published.
The help's examples are rendered by the same function, so it cannot promise what the renderer does not do.
"""

from functools import cache

from django import forms
from django.http import JsonResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from subscriptions import access

from .templatetags.knowledge_tags import render_markdown

ANSWER_MAX_LENGTH = 50_000  # characters: the most an answer may hold, and so the most a preview renders

# (what it gives, what to type, whether to show the rendered result): the formatting help, in the order shown.
HELP_EXAMPLES = (
    ("Paragraphs: leave a blank line between them", "First paragraph.\n\nSecond paragraph.", True),
    ("Bold and italic", "**Bold** and *italic*", True),
    ("A bulleted list (it may follow a line directly)", "You need:\n- a constitution\n- two trustees", True),
    ("A numbered list", "1. Agree it\n2. Minute it", True),
    ("A link (https://, http:// or mailto:)", "[the guidance](https://www.gov.uk/)", True),
    ("Headings: “#” largest, “###” smallest", "# Who may claim\n## Mileage", False),
    ("A table: a header row, a line of dashes, then rows", "| Fee | Who pays |\n|---|---|\n| £10 | members |", True),
    ("A quotation", "> Trustees must act in the charity's interests.", True),
    ("Code, or a form's exact wording", "Fill in `Form CC1`", True),
)
HELP_NOTE = "Images and HTML are left out of the published answer: link to a document instead."


@cache
def help_examples():
    """The formatting help: each example's source, and (for all but headings, kept out of the page's outline) the
    HTML it publishes as."""
    return [
        {"label": label, "source": source, "html": mark_safe(render_markdown(source)) if show else ""}
        for label, source, show in HELP_EXAMPLES
    ]


class MarkdownEditor(forms.Textarea):
    """A textarea for Markdown answers, with Write / Preview tabs (when JavaScript runs) and formatting help."""

    template_name = "knowledge/widgets/markdown_editor.html"

    class Media:
        css = {"all": ["css/markdown-editor.css"]}
        js = [forms.Script("js/markdown-editor.js", defer=True)]

    def __init__(self, attrs=None):
        super().__init__({"rows": 18, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            preview_url=reverse("knowledge:markdown_preview"), help=help_examples(), note=HELP_NOTE
        )
        return context


def _refused(message, status):
    return JsonResponse({"error": message}, status=status)


@require_POST
@ratelimit(key="user_or_ip", rate="120/m", block=True)
def preview(request):
    """``text`` (POST, CSRF-checked) rendered as it would be published: ``{"html": …}``, or ``{"error": …}``."""
    user = request.user
    if not user.is_authenticated:
        return _refused("Sign in as an expert or a coordinator to preview an answer.", 403)
    if not (access.is_coordinator(user) or access.is_panel_expert(user)):
        return _refused("Only experts and coordinators can preview answers.", 403)
    text = request.POST.get("text", "")
    if len(text) > ANSWER_MAX_LENGTH:
        return _refused(
            f"This answer is too long to preview: {len(text):,} characters, and an answer may have at most "
            f"{ANSWER_MAX_LENGTH:,}. Shorten it, then preview again.",
            413,
        )
    return JsonResponse({"html": render_markdown(text)})
