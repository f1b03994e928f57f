"""Template tags for the coordinator console, for pages of the Q&A core that show experts' controls."""

from django import template

from qa_site.knowledge.models import Question

from ..admin_views import experts_with_load, reassign_choices

register = template.Library()


@register.inclusion_tag("experts/admin/includes/question_reassign_panel.html", takes_context=True)
def question_reassign_panel(context, question):
    """The reassign form for ``question`` while it is with an expert; nothing otherwise."""
    if question.status not in Question.WITH_EXPERT_STATUSES or not question.assignee_id:
        return {"show": False}
    question.expert_choices = reassign_choices(question, experts_with_load())
    request = context.get("request")
    return {
        "show": True,
        "q": question,
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
