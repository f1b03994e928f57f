"""Every change to a question, a published answer's review or a personal-data flag goes through one function here.

Three state machines, one module each, and the step they share:

- ``questions``: the question lifecycle (asking, routing, the expert's work, clarification, review, publication,
  the side exits) and the SLA sweep's claims;
- ``reviews``: published answers coming back for review, confirmed or updated;
- ``personal_data``: flags on likely personal data in an answer's publishable copy, which block publishing, and
  redacting them;
- ``transitions``: lock the row, check and claim its state with a conditional UPDATE, write the audit event —
  the step every transition above takes;
- ``readers``: ratings and "Was this helpful?" votes.

Callers use ``services.<function>``; the names below are the whole public surface.
"""

from .personal_data import (
    Redacted,
    answer_copy_save,
    personal_data_flag_clear,
    personal_data_redact,
    personal_data_redact_all,
)
from .questions import (
    answer_return,
    answer_save_draft,
    answer_submit,
    assignment_accept,
    question_assign,
    question_clarify,
    question_close_as_duplicate,
    question_decline,
    question_publish,
    question_reassign,
    question_reject,
    question_release,
    question_request_clarification,
    question_send_to_triage,
    question_submit,
    question_withdraw,
    questions_withdraw_for_departed_asker,
    sla_claim_breach,
    sla_claim_reminder,
)
from .readers import answer_rate, answer_vote_helpful
from .reviews import (
    answer_review_confirm,
    answer_review_copy_save,
    answer_review_open,
    answer_review_publish,
    answer_review_return,
    answer_review_submit,
    answer_reviews_release,
    may_review,
    review_dates_fill,
)
from .transitions import PersonalDataError, RedactionError, TransitionError

__all__ = [
    "PersonalDataError",
    "Redacted",
    "RedactionError",
    "TransitionError",
    "answer_copy_save",
    "answer_rate",
    "answer_return",
    "answer_review_confirm",
    "answer_review_copy_save",
    "answer_review_open",
    "answer_review_publish",
    "answer_review_return",
    "answer_review_submit",
    "answer_reviews_release",
    "answer_save_draft",
    "answer_submit",
    "answer_vote_helpful",
    "assignment_accept",
    "may_review",
    "personal_data_flag_clear",
    "personal_data_redact",
    "personal_data_redact_all",
    "question_assign",
    "question_clarify",
    "question_close_as_duplicate",
    "question_decline",
    "question_publish",
    "question_reassign",
    "question_reject",
    "question_release",
    "question_request_clarification",
    "question_send_to_triage",
    "question_submit",
    "question_withdraw",
    "questions_withdraw_for_departed_asker",
    "review_dates_fill",
    "sla_claim_breach",
    "sla_claim_reminder",
]
