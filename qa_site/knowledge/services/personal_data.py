"""Personal data in the publishable copy of an answer (see ``pii.py``): flags, and the check before publishing.

A flag is cleared by a coordinator marking it "not personal data", by redacting it (one click: exactly its text is
replaced with a labelled placeholder, "[phone number]"), or by the text being edited out of the copy (found gone
when the copy is scanned again). Publishing (a question's answer, or an updated answer) refuses while any likely
personal data is uncleared.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from subscriptions.access import Visibility

from .. import pii
from ..models import (
    Answer,
    AnswerReview,
    PersonalDataFlag,
    Question,
    QuestionEvent,
    QuestionPage,
)
from .transitions import (
    PersonalDataError,
    RedactionError,
    TransitionError,
    _check_coordinator,
    _event,
    _lock,
    _lock_review,
)

Status = Question.Status
Action = QuestionEvent.Action


def _flag_owner(*, question=None, review=None):
    """The audit-trail keys of the answer a flag belongs to: its question, and the review for an update."""
    if review is not None:
        return {"question_id": review.page.question_id, "review": review}
    return {"question_id": question.pk}


def _flags_sync(flags, copy, *, actor, question=None, review=None):
    """Scan ``copy`` again and bring the stored ``flags`` (a related manager) in step with what it now holds.

    A flag still found keeps its state (and moves to where the text now is); an uncleared flag no longer found was
    edited out, and is cleared as such, with an audit line; a new finding becomes a new, uncleared flag.
    """
    now = timezone.now()
    found = pii.scan(copy)
    owner = _flag_owner(question=question, review=review)
    removed, kept = [], set()
    # Edited-out and redacted flags are settled: their text is gone, and another occurrence of it is another flag's.
    settled = (PersonalDataFlag.Resolution.REMOVED, PersonalDataFlag.Resolution.REDACTED)
    for flag in flags.exclude(resolution__in=settled).order_by("field", "start", "pk"):
        same = [f for f in found if (f.field, f.kind, f.text) == (flag.field, flag.kind, flag.text) and f not in kept]
        if same:
            match = min(same, key=lambda f: abs(f.start - flag.start))
            kept.add(match)
            if match.start != flag.start:
                PersonalDataFlag.objects.filter(pk=flag.pk).update(start=match.start)
        elif not flag.is_cleared:
            flag.cleared_by, flag.cleared_at, flag.resolution = actor, now, PersonalDataFlag.Resolution.REMOVED
            flag.save(update_fields=["cleared_by", "cleared_at", "resolution"])
            removed.append(flag)
    for flag in removed:
        _event(**owner, actor=actor, action=Action.PII_REMOVED, note=f"{flag} was edited out.", now=now)
    new = [
        PersonalDataFlag(
            question=None if review else question,
            review=review,
            kind=f.kind,
            field=f.field,
            text=f.text[:200],
            start=f.start,
            created_at=now,
        )
        for f in found
        if f not in kept
    ]
    if new:
        PersonalDataFlag.objects.bulk_create(new)
        listed = "; ".join(str(flag) for flag in new)
        _event(**owner, actor=actor, action=Action.PII_FLAGGED, note=f"To check before publishing: {listed}.", now=now)
    return new


def _refuse_personal_data(flags, copy):
    """Raise ``PersonalDataError`` if ``copy`` holds likely personal data not cleared as "not personal data"."""
    cleared = set(
        flags.filter(resolution=PersonalDataFlag.Resolution.NOT_PERSONAL).values_list("field", "kind", "text")
    )
    waiting = [f for f in pii.scan(copy) if (f.field, f.kind, f.text) not in cleared]
    if waiting:
        fields = dict(PersonalDataFlag.Field.choices)
        listed = "; ".join(f"{f.kind_label.lower()} “{f.text}” in the {fields[f.field]}" for f in waiting)
        raise PersonalDataError(
            f"Not published: the copy still has {len(waiting)} possible item{'s' if len(waiting) != 1 else ''} of "
            f"personal data to clear ({listed}). Edit each out, or mark it “not personal data”."
        )


@transaction.atomic
def answer_copy_save(*, question_id, actor, title, question_text, answer_text):
    """A coordinator saves their edit of the copy to publish; it is scanned again for personal data."""
    _check_coordinator(actor)
    question = _lock(question_id)
    if question.status != Status.ANSWERED:
        raise TransitionError("That answer is not waiting for review any more.")
    copy = {"title": title.strip(), "question_text": question_text.strip(), "answer_text": answer_text.strip()}
    Answer.objects.filter(question=question).update(
        publish_title=copy["title"],
        publish_question_text=copy["question_text"],
        publish_answer_text=copy["answer_text"],
    )
    if question.visibility != Visibility.PRIVATE:
        _flags_sync(question.personal_data_flags, copy, actor=actor, question=question)
    return question


@transaction.atomic
def personal_data_flag_clear(*, flag_id, actor):
    """A coordinator marks a flag "not personal data" (e.g. an organisation's helpline). Clearing twice is harmless."""
    _check_coordinator(actor)
    # Lock what the flag belongs to first (as publishing does, before it touches flags), so that a flag is never
    # cleared while its answer is being published, and the two cannot deadlock.
    belongs_to = PersonalDataFlag.objects.filter(pk=flag_id).values("question_id", "review_id").get()
    if belongs_to["question_id"]:
        owner_open = _lock(belongs_to["question_id"]).status == Status.ANSWERED
        owner = {"question_id": belongs_to["question_id"]}
    else:
        review = _lock_review(belongs_to["review_id"])
        owner_open = review.status == AnswerReview.Status.SUBMITTED
        owner = _flag_owner(review=review)
    flag = PersonalDataFlag.objects.select_for_update().get(pk=flag_id)
    if flag.is_cleared:
        return flag
    if not owner_open:
        raise TransitionError("That answer is not waiting for review any more.")
    now = timezone.now()
    flag.cleared_by, flag.cleared_at, flag.resolution = actor, now, PersonalDataFlag.Resolution.NOT_PERSONAL
    flag.save(update_fields=["cleared_by", "cleared_at", "resolution"])
    _event(**owner, actor=actor, action=Action.PII_CLEARED, note=f"{flag}: not personal data.", now=now)
    return flag


# --- redacting: one click replaces exactly a flag's text with a labelled placeholder --------------------------------

# Where each field of the copy is on the published page.
_PAGE_FIELDS = {"title": "title", "question_text": "question_text", "answer_text": "answer"}
_TITLE_MAX = 200  # Answer.publish_title and AnswerReview.title
_SETTLED = (PersonalDataFlag.Resolution.REMOVED, PersonalDataFlag.Resolution.REDACTED)


@dataclass
class Redacted:
    """What a redaction did: the flags redacted now; those already redacted or edited out (a second click: nothing
    to do); those refused, with why (their text is not where the flag says); whether the published page changed."""

    redacted: list = field(default_factory=list)
    already: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # [(flag, reason)]
    page_changed: bool = False


@dataclass
class _Target:
    """The copy flags point into, locked, how to write it back, and the published page when it shows that text."""

    owner: dict
    flags: object  # the owner's related manager
    copy: dict
    save: object
    sync: object
    page: QuestionPage | None = None
    page_required: bool = False  # published: the page must change with the copy, or nothing does
    closed: str = ""  # why nothing can be redacted any more, if so


def _lock_page(page_id):
    return QuestionPage.objects.select_for_update().get(pk=page_id) if page_id else None


def _redaction_target(*, question_id=None, review_id=None):
    """Lock what flags belong to (first, as publishing does) and the published page, and say where the text is.

    A new answer in review: its publishable copy. A published one: that copy and its page, together. An update in
    review: its copy, and the live page too where it shows the same text at the same place (title and question are
    copied from the page). A published update: its copy and the page, together.
    """
    closed = "That answer is not waiting for review any more."
    if question_id:
        question = _lock(question_id)
        answer = Answer.objects.select_related("question").get(question=question)

        def save(copy):
            Answer.objects.filter(pk=answer.pk).update(
                publish_title=copy["title"],
                publish_question_text=copy["question_text"],
                publish_answer_text=copy["answer_text"],
            )

        target = _Target(
            owner=_flag_owner(question=question),
            flags=question.personal_data_flags,
            copy=answer.publishable_copy(),
            save=save,
            sync=lambda copy, actor: _flags_sync(question.personal_data_flags, copy, actor=actor, question=question),
        )
        if question.status == Status.PUBLISHED:
            page_id = QuestionPage.objects.filter(question=question).values_list("pk", flat=True).first()
            target.page, target.page_required = _lock_page(page_id), True
            target.closed = "" if page_id else closed
        elif question.status != Status.ANSWERED:
            target.closed = closed
        return target
    review = _lock_review(review_id)

    def save(copy):
        AnswerReview.objects.filter(pk=review.pk).update(**copy)

    target = _Target(
        owner=_flag_owner(review=review),
        flags=review.personal_data_flags,
        copy=review.publishable_copy(),
        save=save,
        sync=lambda copy, actor: _flags_sync(review.personal_data_flags, copy, actor=actor, review=review),
    )
    if review.status in (AnswerReview.Status.SUBMITTED, AnswerReview.Status.UPDATED):
        target.page = _lock_page(review.page_id)
        target.page_required = review.status == AnswerReview.Status.UPDATED
    else:
        target.closed = "That update is not waiting for review any more."
    return target


def _splice(text, start, length, placeholder):
    return text[:start] + placeholder + text[start + length :]


def _redact(flags, target, *, actor):
    """Replace each flag's text, exactly its span, in the copy (and on the page when it is there), or say why not.

    Flags are taken from the end of each field backwards, so that no replacement moves a span still to be checked.
    """
    result = Redacted()
    copy = dict(target.copy)
    page = target.page
    on_page = {name: getattr(page, attr) for name, attr in _PAGE_FIELDS.items()} if page is not None else None
    fields = dict(PersonalDataFlag.Field.choices)
    done = []
    for flag in sorted(flags, key=lambda f: (f.field, -f.start, -f.pk)):
        if flag.resolution in _SETTLED:
            result.already.append(flag)
            continue
        where, end = fields[flag.field], flag.start + len(flag.text)
        if copy[flag.field][flag.start : end] != flag.text:
            result.refused.append((flag, f"the {where} has changed since “{flag.text}” was found in it"))
            continue
        also_on_page = on_page is not None and on_page[flag.field][flag.start : end] == flag.text
        if target.page_required and not also_on_page:
            result.refused.append(
                (flag, f"the published page's {where} has changed since; edit the page itself in the page editor")
            )
            continue
        placeholder = pii.PLACEHOLDERS[flag.kind]
        redacted = _splice(copy[flag.field], flag.start, len(flag.text), placeholder)
        if flag.field == "title" and len(redacted) > _TITLE_MAX:
            result.refused.append((flag, f"the title would be longer than {_TITLE_MAX} characters"))
            continue
        copy[flag.field] = redacted
        if also_on_page:
            on_page[flag.field] = _splice(on_page[flag.field], flag.start, len(flag.text), placeholder)
        done.append((flag, placeholder, also_on_page))
    if not done:
        return result
    now = timezone.now()
    target.save(copy)
    for flag, placeholder, also_on_page in reversed(done):
        flag.cleared_by, flag.cleared_at, flag.resolution = actor, now, PersonalDataFlag.Resolution.REDACTED
        flag.save(update_fields=["cleared_by", "cleared_at", "resolution"])
        where = " (also on the published page)" if also_on_page else ""
        _event(
            **target.owner,
            actor=actor,
            action=Action.PII_REDACTED,
            note=f"{flag}: replaced with “{placeholder}”{where}.",
            now=now,
        )
        result.redacted.append(flag)
    target.sync(copy, actor)  # the other flags move to where their text now is
    if any(also_on_page for _, _, also_on_page in done):
        _page_rewrite(page, on_page, actor=actor)
        result.page_changed = True
    return result


def _page_rewrite(page, texts, *, actor):
    """The page takes the redacted text as a new revision, live at once, without being published again.

    A redaction is no news (publishing would alert the answer's followers), but readers must see it at once:
    saving the page moves the publication generation (every cached page, feed and widget built from it) and
    re-indexes it for search (the signal handlers on ``QuestionPage`` saves). An editor's newer draft, if any, is
    left in the page's history.
    """
    for name, attr in _PAGE_FIELDS.items():
        setattr(page, attr, texts[name])
    revision = page.save_revision(user=actor, log_action=True, clean=False)
    changed = ["title", "draft_title", "question_text", "answer"]
    if page.live:
        page.live_revision, page.has_unpublished_changes = revision, False
        changed += ["live_revision", "has_unpublished_changes"]
    page.save(update_fields=changed, clean=False)


@transaction.atomic
def personal_data_redact(*, flag_id, actor):
    """A coordinator redacts one flag: exactly its text, in the field it was found in, becomes a labelled
    placeholder ("[phone number]"), and the flag is cleared as redacted, with an audit line. If the answer is
    already published, its page changes too.

    A second click finds the flag settled and changes nothing (``Redacted.already``). If the text is no longer
    where the flag says (the copy was edited since), nothing changes and ``RedactionError`` says why.
    """
    _check_coordinator(actor)
    belongs_to = PersonalDataFlag.objects.filter(pk=flag_id).values("question_id", "review_id").get()
    target = _redaction_target(question_id=belongs_to["question_id"], review_id=belongs_to["review_id"])
    flag = PersonalDataFlag.objects.select_for_update().get(pk=flag_id)
    if flag.resolution not in _SETTLED and target.closed:
        raise TransitionError(target.closed)
    result = _redact([flag], target, actor=actor)
    if result.refused:
        raise RedactionError(f"Not redacted: {result.refused[0][1]}. Nothing was changed; check the copy below.")
    return result


@transaction.atomic
def personal_data_redact_all(*, actor, question_id=None, review_id=None):
    """A coordinator redacts every open flag of an answer (or update) in review at once. Flags whose text is no
    longer where they say are left as they are, and listed in ``Redacted.refused``."""
    _check_coordinator(actor)
    target = _redaction_target(question_id=question_id, review_id=review_id)
    if target.closed:
        raise TransitionError(target.closed)
    flags = list(target.flags.select_for_update().filter(cleared_at=None))
    return _redact(flags, target, actor=actor)
