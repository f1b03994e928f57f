"""``{% similar_answers_for title details as suggestions %}``: the ask page's similar answers without JavaScript."""

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
