"""Fill an empty database with a demo that looks like the real service.

History (the published knowledge base) is written directly with its real
dates; the open questions are driven through the same services the web
interface uses, so every lifecycle state and its audit trail is genuine.
"""

import datetime as dt
import random
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max, Q
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from experts import reviews, routing
from experts.models import ExpertApplication, ExpertProfile, FeeRate
from feeds.models import Follow
from qa_site.demo import people
from qa_site.knowledge import services
from qa_site.knowledge.clock import deadlines
from qa_site.knowledge.models import (
    Answer,
    AnswerRating,
    HelpfulVote,
    Question,
    QuestionEvent,
    QuestionPage,
    SLASettings,
    TopicPage,
)
from qa_site.knowledge.setup import COORDINATORS, ensure_coordinators_group, ensure_site_tree
from qa_site.outbox.models import OutboxMessage
from subscriptions import billing, joining
from subscriptions import services as membership_services
from subscriptions.models import (
    AccessKey,
    BillingSettings,
    Invoice,
    Membership,
    Network,
    Payment,
    Plan,
    Subscription,
    UsageCount,
)

User = get_user_model()
Status = Question.Status
Action = QuestionEvent.Action

# What happens to the open questions, in order (27 of them: 3 per topic).
OPEN_PLAN = (
    ["assigned"] * 8
    + ["awaiting_clarification"] * 4
    + ["triage"] * 3
    + ["declined"] * 2
    + ["withdrawn"] * 2
    + ["rejected"] * 2
    + ["duplicate"] * 2
    + ["fresh"] * 4
)
# Answered items held back from the history and sent through review instead (one per topic, first four topics).
IN_REVIEW_TOPICS = 4


class Command(BaseCommand):
    help = "Load demo networks, people, topics and questions (with --if-empty, only into an empty database)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any account already exists.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for repeatable demo data.")

    def handle(self, *args, if_empty=False, seed=7, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("Demo data: the database already has accounts, so nothing was loaded.")
        else:
            self.rng = random.Random(seed)
            self.now = timezone.now()
            # Demo addresses are not real: keep the many notification e-mails out of the console, here and (when
            # jobs run in worker processes) in the workers, which would otherwise send what the load queued.
            first_new = OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                self.load()
            OutboxMessage.objects.filter(pk__gt=first_new, state=OutboxMessage.State.PENDING).filter(
                Q(job__contains=".send_") | Q(job__endswith="_send")
            ).update(state=OutboxMessage.State.DONE, finished_at=timezone.now(), last_error="Demo data: not sent.")
        self.print_logins()

    # --- the whole load -------------------------------------------------------------------------

    def load(self):
        self.policy = SLASettings.load()
        self.calendar = self.policy.calendar()
        topics_content = people.load_topics()
        steps = tqdm(total=6 + len(topics_content), desc="Demo data", unit="step", disable=None)
        home, topic_index = ensure_site_tree()
        ensure_coordinators_group()
        steps.update()
        BillingSettings.objects.update_or_create(pk=BillingSettings.load().pk, defaults=people.SELLER)
        plans = self.create_plans()
        networks = self.create_networks(plans)
        steps.update()
        self.coordinator = self.create_coordinator()
        advisers = self.create_advisers(networks)
        steps.update()
        topics = self.create_topics(topic_index, topics_content)
        experts = self.create_experts(topics)
        steps.update()
        live_advisers = [a for a in advisers if a.network.slug != "eastmoor-va"]
        in_review = []
        for index, content in enumerate(topics_content):
            answered = list(content["answered"])
            if index < IN_REVIEW_TOPICS:
                in_review.append((content["slug"], answered.pop()))
            steps.set_postfix_str(content["name"])
            self.create_history(topics[content["slug"]], answered, experts, live_advisers + advisers[-2:])
            steps.update()
        self.create_open_questions(topics, topics_content, in_review, live_advisers)
        steps.update()
        self.set_away_expert()
        self.create_quality_and_fees(topics, experts, live_advisers)
        self.create_network_life(networks)
        # Answers published over a year ago are past their review date: the daily sweep sends them back to experts.
        reviews.sweep()
        self.create_alert_follows(topics)
        steps.update()
        steps.close()
        published = QuestionPage.objects.live().count()
        open_count = Question.objects.exclude(status=Status.PUBLISHED).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {Network.objects.count()} networks, {len(advisers)} advisers, "
                f"{len(experts)} experts, {len(topics)} topics, {published} published answers, "
                f"{open_count} other questions."
            )
        )

    # --- cast -----------------------------------------------------------------------------------

    def create_user(self, email, first, last, **extra):
        user = User.objects.create_user(
            email=email, password=people.DEMO_PASSWORD, first_name=first, last_name=last, **extra
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    def create_plans(self):
        plans = {}
        for p in people.PLANS:
            fields = {k: v for k, v in p.items() if k not in ("annual_price", "extra_seat_price")}
            plans[p["slug"]] = Plan.objects.create(
                annual_price=Decimal(p["annual_price"]), extra_seat_price=Decimal(p["extra_seat_price"]), **fields
            )
        return plans

    def create_networks(self, plans):
        """Networks with a year's subscription each, invoiced and paid on time (Eastmoor's has lapsed)."""
        today = timezone.localdate()
        networks = {}
        for slug, name, plan_slug, seats, days_in, live in people.NETWORKS:
            network = Network.objects.create(
                slug=slug,
                name=name,
                website=f"https://{slug}.example.org/",
                billing_address="The Old School House\nHigh Street",
                created_at=self.now - dt.timedelta(days=720),
            )
            plan = plans[plan_slug]
            starts = today - dt.timedelta(days=days_in)
            ends = billing._year_after(starts)
            subscription = Subscription.objects.create(
                network=network,
                plan=plan,
                seats=seats,
                starts_on=starts,
                ends_on=ends,
                access_until=ends,
                status=Subscription.Status.ACTIVE if live else Subscription.Status.EXPIRED,
            )
            invoice = billing.invoice_issue(
                network=network,
                subscription=subscription,
                kind=Invoice.Kind.NEW,
                period_start=starts,
                period_end=ends,
                lines=billing.period_lines(plan, seats),
                issued_on=starts,
            )
            billing.payment_record(
                invoice_id=invoice.pk,
                amount=invoice.total,
                method=Payment.Method.BANK_TRANSFER,
                received_on=starts + dt.timedelta(days=self.rng.randint(8, 25)),
                reference=f"{slug.upper()} INV {invoice.display_number}",
            )
            networks[slug] = network
        return networks

    def create_coordinator(self):
        email, first, last = people.COORDINATOR
        user = self.create_user(email, first, last, is_staff=True)
        user.groups.add(ensure_coordinators_group())
        return user

    def create_advisers(self, networks):
        advisers = []
        for email, first, last, network_slug, role, organisation in people.ADVISERS:
            user = self.create_user(email, first, last)
            Membership.objects.create(
                network=networks[network_slug],
                user=user,
                role=role,
                organisation=organisation,
                joined_at=self.now - dt.timedelta(days=600),
            )
            user.network = networks[network_slug]
            advisers.append(user)
        return advisers

    def create_topics(self, topic_index, topics_content):
        topics = {}
        for content in topics_content:
            topic = TopicPage(title=content["name"], slug=content["slug"], description=content["description"])
            topic_index.add_child(instance=topic)
            topic.save_revision().publish()
            topics[content["slug"]] = topic
        return topics

    def create_experts(self, topics):
        experts = []
        for email, first, last, slug, headline, organisation, bio, topic_slugs, cap in people.EXPERTS:
            user = self.create_user(email, first, last)
            profile = ExpertProfile.objects.create(
                user=user,
                slug=slug,
                headline=headline,
                organisation=organisation,
                bio=bio,
                max_open_questions=cap,
                joined_on=timezone.localdate() - dt.timedelta(days=700),
            )
            profile.topics.set([topics[s] for s in topic_slugs])
            experts.append(profile)
        return experts

    # --- the networks' side: what they asked, read and were billed --------------------------------------------

    def create_network_life(self, networks):
        today = timezone.localdate()
        for subscription in Subscription.objects.select_related("network"):
            used = Question.objects.filter(
                network=subscription.network, submitted_at__date__gte=subscription.starts_on
            ).count()
            Subscription.objects.filter(pk=subscription.pk).update(questions_used=used)
        # Westvale's year ends within the renewal notice: the billing sweep sends its renewal invoice.
        billing.sweep(today=today)
        # Members read answers most working days.
        counts = []
        for slug in ("northshire-rcc", "westvale-cvs"):
            network = networks[slug]
            for days_ago in range(1, 330):
                day = today - dt.timedelta(days=days_ago)
                if day.weekday() < 5 and self.rng.random() < 0.8:
                    reads = self.rng.randint(2, 14 if slug == "westvale-cvs" else 8)
                    counts.append(UsageCount(network=network, day=day, kind=UsageCount.Kind.ANSWER_READ, count=reads))
        UsageCount.objects.bulk_create(counts)
        # Northshire's admin has invited a new adviser, and made keys for its website.
        northshire = networks["northshire-rcc"]
        admin = Membership.objects.get(network=northshire, role=Membership.Role.ADMIN).user
        membership_services.invitation_create(
            network=northshire, email="new.adviser@demo.test", actor=admin, organisation="Brookside Community Shop"
        )
        membership_services.key_create(
            network=northshire, name="Members' website feed", kind=AccessKey.Kind.FEED, actor=admin
        )
        membership_services.key_create(
            network=northshire,
            name="Members' website widget",
            kind=AccessKey.Kind.WIDGET,
            actor=admin,
            allowed_origins="https://northshire-rcc.example.org",
        )
        # A network has asked to join through /subscribe/: it waits in the coordinators' "Networks joining" queue.
        applicant = self.create_user("joining@demo.test", "Priya", "Shah")
        standard = Plan.objects.get(slug="standard")
        joining.join_request_submit(
            user=applicant,
            plan=standard,
            start="trial",
            seats=standard.included_seats,
            name="Southdown Villages Network",
            website="https://southdown-villages.example.org",
            members_description="32 village halls and community shops across the downs",
            billing_email="accounts@southdown-villages.example.org",
            billing_address="The Old Forge\nDitchling",
        )

    def create_alert_follows(self, topics):
        """The demo adviser follows two topics (at once, and weekly) and one answer (daily), for /alerts/."""
        adviser = User.objects.get(email="adviser@demo.test")
        Frequency = Follow.Frequency
        Follow.objects.create(user=adviser, topic=topics["charity-law"], frequency=Frequency.IMMEDIATE)
        Follow.objects.create(user=adviser, topic=topics["funding"], frequency=Frequency.WEEKLY)
        answer = QuestionPage.objects.live().filter(topic=topics["volunteering"], visibility="public").first()
        if answer is not None:
            Follow.objects.create(user=adviser, question_page=answer, frequency=Frequency.DAILY)

    # --- fees, ratings, acceptance, review and applications -----------------------------------------------------

    def create_quality_and_fees(self, topics, experts, advisers):
        today = timezone.localdate()
        year_ago = today - dt.timedelta(days=365)
        for profile in experts:
            FeeRate.objects.create(
                expert=profile, amount=Decimal("60.00"), effective_from=year_ago - dt.timedelta(days=400)
            )
        # Charity law answers take longer to write: Helen is paid more for them; Tom's default went up in the spring.
        helen = next(p for p in experts if p.user.email == "expert@demo.test")
        FeeRate.objects.create(
            expert=helen,
            topic=topics["charity-law"],
            amount=Decimal("85.00"),
            effective_from=year_ago - dt.timedelta(days=400),
        )
        tom = next(p for p in experts if p.slug == "tom-okafor")
        FeeRate.objects.create(expert=tom, amount=Decimal("70.00"), effective_from=today - dt.timedelta(days=200))
        # Readers rate most published answers.
        ratings = []
        for question in Question.objects.filter(status=Status.PUBLISHED).select_related("assignee"):
            readers = [a for a in advisers if a.pk != question.assignee_id]
            for reader in self.rng.sample(readers, self.rng.randint(0, 4)):
                ratings.append(
                    AnswerRating(
                        question=question,
                        user=reader,
                        stars=self.rng.choice([3, 4, 4, 5, 5, 5]),
                        created_at=question.published_at + dt.timedelta(days=self.rng.randint(1, 30)),
                    )
                )
        AnswerRating.objects.bulk_create(ratings)
        # Readers say whether answers helped (shown to the experts and coordinators).
        votes = []
        for page in QuestionPage.objects.live().filter(visibility="public").only("pk", "expert_id"):
            readers = [a for a in advisers if a.pk != page.expert_id]
            for reader in self.rng.sample(readers, self.rng.randint(0, 5)):
                votes.append(HelpfulVote(page=page, user=reader, helpful=self.rng.random() < 0.85))
        HelpfulVote.objects.bulk_create(votes)
        # Most experts have accepted what they were given; one answer came back from review.
        for question in Question.objects.filter(status=Status.ASSIGNED).order_by("pk")[::2]:
            services.assignment_accept(question_id=question.pk, expert=question.assignee)
        in_review = Question.objects.filter(status=Status.ANSWERED).order_by("pk").first()
        if in_review:
            services.answer_return(
                question_id=in_review.pk,
                actor=self.coordinator,
                comment="Thank you. Please add a sentence on what the trustees should minute, then resubmit.",
            )
        # People who want to join the panel.
        applicant = self.create_user("jordan.reeves@demo.test", "Jordan", "Reeves")
        application = ExpertApplication.objects.create(
            user=applicant,
            headline="Community transport manager, 12 years running a dial-a-ride service",
            organisation="Valley Community Transport",
            bio="I manage a community transport charity with 40 volunteer drivers and 6 minibuses.",
            experience="Section 19 and 22 permits, MiDAS trainer, volunteer driver expenses, "
            "accessible vehicle procurement.",
        )
        application.topics.set([topics["rural-transport"], topics["volunteering"]])

    # --- the published knowledge base, with its real history -------------------------------------

    def deadlines(self, submitted, sla_hours, paused_seconds=0):
        return deadlines(
            submitted_at=submitted,
            sla_hours=sla_hours,
            paused_seconds=paused_seconds,
            warning_fraction=self.policy.warning_fraction,
            calendar=self.calendar,
        )

    def working_moment(self, days_ago):
        """A weekday office-hours moment about ``days_ago`` days before now."""
        calendar = self.calendar
        moment = (self.now - dt.timedelta(days=days_ago)).astimezone(calendar.tz)
        moment = moment.replace(hour=self.rng.randint(9, 16), minute=self.rng.choice([5, 20, 35, 50]))
        return calendar.add_working_hours(moment, 0)

    @transaction.atomic
    def create_history(self, topic, answered, experts, askers):
        topic_experts = [e for e in experts if topic.pk in {t.pk for t in e.topics.all()}]
        for item in answered:
            asker = self.rng.choice(askers)
            expert = self.rng.choice(topic_experts).user
            plan = asker.network.subscriptions.first().plan
            submitted = self.working_moment(self.rng.randint(20, 540))
            assigned = submitted + dt.timedelta(minutes=self.rng.randint(1, 4))
            warn, due = self.deadlines(submitted, plan.sla_hours)
            late = self.rng.random() < 0.1
            fraction = self.rng.uniform(1.05, 1.4) if late else self.rng.uniform(0.2, 0.95)
            answered_at = self.calendar.add_working_hours(submitted, plan.sla_hours * fraction)
            published = answered_at + dt.timedelta(hours=self.rng.randint(1, 20))
            visibility = item["visibility"]
            question = Question.objects.create(
                title=item["title"],
                details=item["details"],
                topic=topic,
                asker=asker,
                network=asker.network,
                visibility=visibility,
                status=Status.PUBLISHED,
                assignee=expert,
                sla_hours=plan.sla_hours,
                submitted_at=submitted,
                assigned_at=assigned,
                due_at=due,
                warn_at=warn,
                answered_at=answered_at,
                published_at=published,
                accepted_at=assigned + dt.timedelta(minutes=self.rng.randint(5, 90)),
                sla_running=False,
                paused_at=answered_at,
                sla_met=not late,
                working_hours_to_answer=round(Decimal(plan.sla_hours * fraction), 2),
            )
            Answer.objects.create(question=question, author=expert, body=item["answer"], submitted_at=answered_at)
            QuestionEvent.objects.bulk_create(
                [
                    QuestionEvent(
                        question=question,
                        actor=asker,
                        action=Action.SUBMITTED,
                        to_status=Status.SUBMITTED,
                        created_at=submitted,
                    ),
                    QuestionEvent(
                        question=question,
                        action=Action.ASSIGNED,
                        from_status=Status.SUBMITTED,
                        to_status=Status.ASSIGNED,
                        created_at=assigned,
                        note=f"Routed to {expert.display_name}: knows {topic.title}.",
                    ),
                    QuestionEvent(
                        question=question,
                        actor=expert,
                        action=Action.ANSWERED,
                        from_status=Status.ASSIGNED,
                        to_status=Status.ANSWERED,
                        created_at=answered_at,
                    ),
                    QuestionEvent(
                        question=question,
                        actor=self.coordinator,
                        action=Action.PUBLISHED,
                        from_status=Status.ANSWERED,
                        to_status=Status.PUBLISHED,
                        created_at=published,
                    ),
                ]
            )
            page = QuestionPage(
                title=item["title"],
                question=question,
                question_text=item["details"],
                answer=item["answer"],
                expert=expert,
                visibility=visibility,
                network=asker.network if visibility == "network" else None,
                asked_on=timezone.localdate(submitted),
                checked_on=timezone.localdate(published),
            )
            topic.add_child(instance=page)
            page.save_revision(user=self.coordinator).publish(user=self.coordinator)
            QuestionPage.objects.filter(pk=page.pk).update(
                first_published_at=published, last_published_at=published, latest_revision_created_at=published
            )
            QuestionPage.objects.filter(pk=page.pk).update(published_at=published)

    # --- open questions, through the real services ------------------------------------------------

    def submit(self, *, topic, asker, title, details, visibility="public"):
        question = services.question_submit(
            asker=asker, network=asker.network, topic=topic, title=title, details=details, visibility=visibility
        )
        question.refresh_from_db()
        if question.status == Status.SUBMITTED and not question.needs_triage:
            # Jobs run on a worker when REDIS_URL is set: route now, so the demo is complete at once.
            routing.route_question(question)
            question.refresh_from_db()
        return question

    def backdate(self, question, working_hours_ago):
        """Make a question look as if it was asked ``working_hours_ago`` working hours ago.

        Asking and routing keep their minutes apart; anything after them is spread over the time since.
        """
        calendar = self.calendar
        submitted = self.now
        # Step back one working hour at a time: exact, and cheap for a few dozen hours.
        for _ in range(int(working_hours_ago)):
            submitted -= dt.timedelta(hours=1)
            while calendar.working_time_between(submitted, submitted + dt.timedelta(hours=1)) == dt.timedelta(0):
                submitted -= dt.timedelta(hours=1)
        delta = question.submitted_at - submitted
        events = list(question.events.order_by("created_at", "pk"))
        early, later = events[:2], events[2:]
        for event in early:
            QuestionEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - delta)
        span = (self.now - submitted) * 0.8
        moments = {}
        for i, event in enumerate(later, start=1):
            moments[event.action] = submitted + span * i / (len(later) + 1)
            QuestionEvent.objects.filter(pk=event.pk).update(created_at=moments[event.action])
        # Keep the SLA clock consistent with the new history: it stopped at the last pause, if any.
        warn, due = self.deadlines(submitted, question.sla_hours)
        changes = {
            "submitted_at": submitted,
            "warn_at": warn,
            "due_at": due,
            "assigned_at": question.assigned_at - delta if question.assigned_at else None,
        }
        if question.status == Status.AWAITING_CLARIFICATION:
            changes["paused_at"] = moments.get(Action.CLARIFICATION_REQUESTED)
        elif question.status == Status.ANSWERED:
            answered_at = moments.get(Action.ANSWERED, self.now)
            hours = calendar.working_time_between(submitted, answered_at).total_seconds() / 3600
            changes.update(
                paused_at=answered_at,
                answered_at=answered_at,
                working_hours_to_answer=round(Decimal(hours), 2),
                sla_met=hours <= question.sla_hours,
            )
        Question.objects.filter(pk=question.pk).update(**changes)

    def create_open_questions(self, topics, topics_content, in_review, advisers):
        plan = list(OPEN_PLAN)
        self.rng.shuffle(plan)
        items = [(c["slug"], o) for c in topics_content for o in c["open"]]
        # Rural transport's only expert is away: its questions wait in triage, as they would.
        triage_items = [i for i in items if i[0] == "rural-transport"]
        other_items = [i for i in items if i[0] != "rural-transport"]
        plan.remove("triage"), plan.remove("triage"), plan.remove("triage")
        adviser = next(a for a in advisers if a.email == "adviser@demo.test")
        clarifications = iter(people.CLARIFICATION_MESSAGES * 3)
        self.set_away_expert()
        for slug, item in triage_items:
            question = self.submit(
                topic=topics[slug], asker=self.rng.choice(advisers), title=item["title"], details=item["details"]
            )
            self.backdate(question, self.rng.randint(2, 30))
        for (slug, item), outcome in zip(other_items, plan, strict=True):
            asker = (
                adviser
                if outcome in ("awaiting_clarification", "assigned") and self.rng.random() < 0.4
                else (self.rng.choice(advisers))
            )
            question = self.submit(
                topic=topics[slug],
                asker=asker,
                title=item["title"],
                details=item["details"],
                visibility=self.rng.choice(["public", "public", "network", "private"]),
            )
            expert = question.assignee
            if outcome == "awaiting_clarification" and expert:
                services.question_request_clarification(
                    question_id=question.pk, expert=expert, message=next(clarifications)
                )
            elif outcome == "declined" and expert:
                services.question_decline(
                    question_id=question.pk,
                    expert=expert,
                    reason="I have acted for a party connected to this organisation, so I should not advise.",
                )
                question.refresh_from_db()
                if question.status == Status.DECLINED:
                    routing.route_question(question)
            elif outcome == "withdrawn":
                services.question_withdraw(question_id=question.pk, actor=asker)
            elif outcome == "rejected":
                services.question_reject(
                    question_id=question.pk,
                    actor=self.coordinator,
                    reason="This needs a solicitor acting for you in the dispute; our experts give general guidance "
                    "and cannot represent you. Your local law centre may be able to help.",
                )
            elif outcome == "duplicate":
                existing = QuestionPage.objects.live().filter(topic=topics[slug]).first()
                services.question_close_as_duplicate(
                    question_id=question.pk, actor=self.coordinator, duplicate_of=existing
                )
            question.refresh_from_db()
            hours_ago = 1 if outcome == "fresh" else self.rng.randint(3, 60 if outcome != "assigned" else 40)
            self.backdate(question, hours_ago)
        for slug, item in in_review:
            question = self.submit(
                topic=topics[slug],
                asker=self.rng.choice(advisers),
                title=item["title"],
                details=item["details"],
                visibility=item["visibility"],
            )
            if question.assignee:
                services.answer_submit(question_id=question.pk, expert=question.assignee, body=item["answer"])
            question.refresh_from_db()
            self.backdate(question, self.rng.randint(5, 20))

    def set_away_expert(self):
        today = timezone.localdate()
        ExpertProfile.objects.filter(slug="alison-reid").update(
            away_from=today - dt.timedelta(days=3), away_until=today + dt.timedelta(days=11)
        )

    # --- what to tell the person who ran `make run` ------------------------------------------------

    def print_logins(self):
        rows = [
            ("adviser@demo.test", "adviser at Hillside Village Hall, Northshire RCC (Standard plan)"),
            ("netadmin@demo.test", "network admin of Northshire Rural Community Council"),
            ("expert@demo.test", "Helen Carter, named expert: charity law, community buildings"),
            ("coordinator@demo.test", f"coordinator (staff, {COORDINATORS} group): console at /admin/"),
        ]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (password for all: demo-password)"))
        for email, who in rows:
            self.stdout.write(f"  {email:<24} {who}")
        self.stdout.write("  sam.whitfield@demo.test  adviser whose network's subscription has expired")
        self.stdout.write("  joining@demo.test        asked to join as Southdown Villages Network (to decide)")
        self.stdout.write("")
