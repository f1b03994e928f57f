"""``{% similar_answers_for title details as suggestions %}``: the ask page's similar answers without JavaScript;
``{% likely_duplicates question as duplicates %}``: published answers like a question that has arrived."""

from django import template

from ..views_similar import MAX_TEXT_LENGTH, similar_answers

register = template.Library()


@register.simple_tag(takes_context=True)
def similar_answers_for(context, *texts):
    """Answers like these texts (the title, then the details, cut to the length the page's script sends)."""
    text = " ".join(str(text) for text in texts if text)
    if len(text) > MAX_TEXT_LENGTH:
        text = text[:MAX_TEXT_LENGTH].rsplit(" ", 1)[0]
    return similar_answers(context["request"].user, text)


@register.simple_tag(takes_context=True)
def likely_duplicates(context, question, limit=3):
    """Published answers like an incoming question, that the reader may see, best first: shown beside it in triage,
    on the coordinator's question screen and on the expert's page, so a question already answered can be closed as
    a duplicate instead of answered again."""
    text = f"{question.title} {question.details}"
    if len(text) > MAX_TEXT_LENGTH:
        text = text[:MAX_TEXT_LENGTH].rsplit(" ", 1)[0]
    return similar_answers(context["request"].user, text, limit=limit)
