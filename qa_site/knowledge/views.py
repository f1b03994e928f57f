"""Adviser-facing views of the question lifecycle: ask, follow, withdraw."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from subscriptions import access

from . import services
from .forms import AskForm, ClarificationReplyForm, HelpfulForm, RatingForm, is_page_id
from .fragments import feedback_context
from .models import Question, QuestionEvent, QuestionPage


def _ask_rate(group, request):
    # "Check for similar answers" only shows the form again: it asks nothing, so it is not counted.
    return None if "check_similar" in request.POST else settings.RATE_LIMIT_ASK


@login_required
@ratelimit(key="user", rate=_ask_rate, method="POST", block=True)
def ask(request):
    networks = access.networks_for_asking(request.user)
    if not networks:
        lapsed = access.lapsed_networks(request.user)
        asked = request.user.questions_asked.exists()
        return render(request, "knowledge/no_access.html", {"lapsed": lapsed, "asked": asked}, status=403)
    # Told before writing, not after: networks that have used their allowance are not offered.
    allowances = [(network, *access.allowance(network)) for network in networks]
    open_ids = [network.pk for network, left, _ in allowances if left != 0]
    if not open_ids:
        return render(request, "knowledge/allowance_used.html", {"allowances": allowances}, status=403)
    networks = networks.filter(pk__in=open_ids)
    topic = request.GET.get("topic", "")
    check_similar = "check_similar" in request.POST
    if check_similar:  # the form as typed, with similar answers under the title (the search app's tag); not sent
        form = AskForm(networks=networks, initial=request.POST.dict())
    else:
        form = AskForm(request.POST or None, networks=networks, initial={"topic": topic} if topic.isdigit() else {})
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_submit(asker=request.user, **form.cleaned_data)
        except services.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you: your question has been sent.")
            return redirect("knowledge:question", pk=question.pk)
    return render(
        request, "knowledge/ask.html", {"form": form, "allowances": allowances, "check_similar": check_similar}
    )


@login_required
def my_questions(request):
    questions = (
        Question.objects.filter(asker=request.user)
        .select_related("topic", "assignee", "network")
        .order_by("-submitted_at")
    )
    page = Paginator(questions, 25).get_page(request.GET.get("page"))
    return render(request, "knowledge/my_questions.html", {"questions": page})


def _followable(request, pk):
    question = get_object_or_404(
        Question.objects.select_related("topic", "assignee", "asker", "network", "page", "duplicate_of"), pk=pk
    )
    if not access.can_follow_question(request.user, question):
        raise PermissionDenied("Only the adviser who asked, their expert and coordinators can see this question.")
    return question


@login_required
def question_detail(request, pk, reply_form=None):
    question = _followable(request, pk)
    answer = getattr(question, "answer", None)
    show_answer = answer is not None and (
        question.status == Question.Status.PUBLISHED
        or request.user.pk == question.assignee_id
        or access.is_coordinator(request.user)
    )
    return render(
        request,
        "knowledge/question_detail.html",
        {
            "question": question,
            "answer": answer if show_answer else None,
            "feedback": _asker_feedback(request.user, question) if show_answer else None,
            "events": question.events.select_related("actor"),
            "thread": question.events.filter(
                action__in=(QuestionEvent.Action.CLARIFICATION_REQUESTED, QuestionEvent.Action.CLARIFIED)
            ),
            "is_asker": request.user.pk == question.asker_id,
            "reply_form": reply_form or ClarificationReplyForm(),
        },
        status=400 if reply_form is not None else 200,
    )


@login_required
@require_POST
def question_reply(request, pk):
    """The asker answers the expert's request for more detail."""
    question = _followable(request, pk)
    form = ClarificationReplyForm(request.POST)
    if not form.is_valid():
        return question_detail(request, pk, reply_form=form)
    try:
        services.question_clarify(question_id=question.pk, actor=request.user, reply=form.cleaned_data["reply"])
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you: your reply has been sent to the expert.")
    return redirect("knowledge:question", pk=question.pk)


@login_required
@require_POST
def question_withdraw(request, pk):
    question = _followable(request, pk)
    try:
        services.question_withdraw(question_id=question.pk, actor=request.user)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your question has been withdrawn.")
    return redirect("knowledge:question", pk=question.pk)


def _asker_feedback(user, question):
    """The asker's say on their own published answer, in the same box as on the answer page: "Was this helpful?"
    when it is in the knowledge base (and they may read it there in full), and the rating (``answer_rate`` lets the
    asker rate once the answer is published, page or not)."""
    if user.pk != question.asker_id or question.status != Question.Status.PUBLISHED:
        return None
    page = getattr(question, "page", None)
    page = page if page is not None and page.live else None
    return feedback_context(
        user,
        page_id=page.pk if page else None,
        question_id=question.pk,
        expert_id=question.assignee_id,
        full_access=bool(page) and access.can_read_published_in_full(user, page),
        may_rate=user.pk != question.assignee_id,
    )


def _back_to_question(request, question_id):
    """The asker's question page, when the form was sent from there (``from=question``) and they may see it."""
    if request.POST.get("from") != "question" or not question_id:
        return None
    question = Question.objects.filter(pk=question_id).select_related("page").first()
    if question is None or not access.can_follow_question(request.user, question):
        return None
    return reverse("knowledge:question", args=[question_id])


@login_required
@require_POST
def rate_answer(request, pk):
    """A reader rates a published answer (once; rating again changes their rating)."""
    question = get_object_or_404(Question.objects.select_related("page"), pk=pk)
    page = getattr(question, "page", None)
    # Checked first: no redirect or message may name an answer the reader may not know of.
    if not access.can_follow_question(request.user, question) and not (
        page and page.live and access.can_see_published(request.user, page)
    ):
        raise Http404("No such answer.")
    back = _back_to_question(request, pk) or (page.url if page else reverse("knowledge:question", args=[pk]))
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        services.answer_rate(question_id=question.pk, user=request.user, **form.cleaned_data)
    except services.TransitionError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, "Thank you for rating this answer.")
    return redirect(back)


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def vote_helpful(request, page_id):
    """ "Was this helpful?": a form post that comes back to the page, or (from the page's script) JSON."""
    if not is_page_id(page_id):  # a number past 64 bits would overflow SQLite's integers: a 500, not a 404
        raise Http404("No such answer.")
    # Answers this reader may not see are not found: no sign-in link or redirect may carry their slug (their title).
    page = get_object_or_404(QuestionPage.objects.live().filter(access.published_filter(request.user)), pk=page_id)
    as_json = _wants_json(request)
    if not request.user.is_authenticated:
        if as_json:
            login_url = redirect_to_login(page.url)["Location"]
            return JsonResponse(
                {"error": "Sign in to say whether this answer helped.", "login_url": login_url}, status=401
            )
        return redirect_to_login(page.url)
    form = HelpfulForm(request.POST)
    if not form.is_valid():
        message = form.errors["helpful"][0]
        if as_json:
            return JsonResponse({"error": message}, status=400)
        return render(request, "knowledge/bad_request.html", {"message": message, "back": page.url}, status=400)
    try:
        vote = services.answer_vote_helpful(page_id=page.pk, user=request.user, helpful=form.cleaned_data["helpful"])
    except services.TransitionError as exc:
        if as_json:
            return JsonResponse({"error": str(exc)}, status=403)
        raise PermissionDenied(str(exc)) from None
    message = "Thank you: glad it helped." if vote.helpful else "Thank you: the expert and coordinators will see this."
    if as_json:
        helpful = page.helpful_for(request.user, full_access=True)
        counts = {"yes": helpful["yes"], "no": helpful["no"]} if helpful["sees_counts"] else None
        return JsonResponse({"helpful": vote.helpful, "message": message, "counts": counts})
    messages.success(request, message)
    return redirect(f"{_back_to_question(request, page.question_id) or page.url}#helpful")
