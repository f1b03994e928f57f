"""An answer as the Stack Exchange import makes it: created in bulk, with the credit its licence requires."""

from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from qa_site.knowledge.models import QuestionPage

CREDIT = {
    "source_name": "law.stackexchange.com",
    "source_url": "https://law.stackexchange.com/q/1",
    "source_authors": [
        {"name": "Quentin Asker", "url": "https://law.stackexchange.com/users/10", "role": "question"},
        {"name": "Ada Answerer", "url": "https://law.stackexchange.com/users/20", "role": "answer"},
    ],
    "source_licence": "CC BY-SA 4.0",
    "source_licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
}
CREDIT_TEXT = (
    "Adapted from https://law.stackexchange.com/q/1 on law.stackexchange.com, question by Quentin Asker, answer by "
    "Ada Answerer. Licensed under CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)."
)


def make_imported_page(topic, title="Can trustees be paid for training?", **extra):
    item = BulkQuestion(
        topic=topic,
        title=title,
        question_text="Our trustee is a trainer. May we pay her?",
        answer="<p>Only if the constitution allows it.</p>",
        **{**CREDIT, **extra},
    )
    [page_id] = bulk_create_question_pages([item])
    return QuestionPage.objects.get(pk=page_id)
