"""One call replayed through the labelling services, from its opening to its committee
meetings: declarations of interests, drafts and submissions (in submission order, so
references follow the clock), instruction, conflicts, assignments, correction requests,
reviews, decisions and withdrawals, each stamped with its historical time."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from labelling.models import (
    Call,
    CommitteeMeeting,
    Criterion,
    Decision,
    Dossier,
    ReviewAssignment,
)
from labelling.services import (
    assignments_auto,
    attachment_add,
    call_create,
    decision_record,
    dossier_conflict_declare,
    dossier_create,
    dossier_request_correction,
    dossier_start_review,
    dossier_submit,
    dossier_update,
    dossier_withdraw,
    interests_declare,
    meeting_schedule,
    review_save,
)
from trainings.models import Organisation

from . import calls as c
from .plan import DossierPlan, scaled

REJECTION_REASONS = (
    "Le public visé n'est pas prioritairement composé de personnes éloignées de l'emploi.",
    "Les débouchés sur le territoire ne sont pas démontrés (aucun engagement d'employeur).",
    "L'accompagnement socio-professionnel est insuffisamment décrit.",
    "Le modèle économique ne garantit pas la gratuité ou un coût maîtrisé pour les apprenants.",
    "Le volume horaire est insuffisant au regard des compétences visées.",
    "Le partenariat avec les acteurs de l'emploi (Pôle emploi, missions locales) n'est pas établi.",
)
DEFERRAL_REASONS = (
    "Le comité attend un budget prévisionnel détaillé avant de se prononcer.",
    "Précisions attendues sur le lieu de formation et les partenariats d'immersion.",
    "Le comité souhaite connaître les cofinancements confirmés avant de statuer.",
)
WITHDRAWAL_REASONS = (
    "Le financement de la formation n'a pas été confirmé.",
    "Nous reportons l'ouverture de la formation à l'an prochain.",
    "Dossier déposé en double par erreur.",
)
CORRECTION_MESSAGES = (
    "Le budget prévisionnel joint ne correspond pas à la formation décrite : merci de "
    "préciser les cofinancements.",
    "Merci de détailler les semaines d'immersion en entreprise et les partenaires qui les "
    "accueillent.",
    "Précisez les modalités de recrutement des apprenants sans condition de diplôme.",
)
REVIEW_COMMENTS = {
    "favourable": "Projet solide, public bien ciblé, partenariats emploi crédibles.",
    "reserved": "Projet intéressant mais l'accompagnement vers l'emploi reste à étayer.",
    "unfavourable": "Le projet ne répond pas aux critères du label en l'état.",
}
ATTACHMENT_NAMES = {
    "statutes": "statuts.pdf",
    "budget": "budget-previsionnel.pdf",
    "cvs": "cv-formateurs.pdf",
    "support_letter": "lettre-de-soutien.pdf",
}


def demo_pdf(text: str) -> bytes:
    """A tiny PDF, different for each attachment so each stored file has its own name."""
    return (
        b"%PDF-1.4\n% " + text.encode() + b"\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def between(
    rng: random.Random, start: datetime.datetime, end: datetime.datetime
) -> datetime.datetime:
    seconds = max(0, int((end - start).total_seconds()))
    return start + datetime.timedelta(seconds=rng.randint(0, seconds))


@dataclass
class Cast:
    """The people and organisations already written, shared by every call's replay."""

    seed: int
    scale: float
    staff: User
    committee: list[User]
    organisations: list[Organisation]
    org_users: list[list[User]]
    # Committee member index -> index of the organisation they work for.
    member_org: dict[int, int]
    # Dossier pk -> its plan, filled as dossiers are created (the learners need it).
    plan_of: dict[int, DossierPlan] = field(default_factory=dict)


class CallReplay:
    def __init__(self, *, cast: Cast, call_plan: c.CallPlan, plans: Sequence[DossierPlan]) -> None:
        self.cast = cast
        self.call_plan = call_plan
        self.plans = plans
        self.rng = random.Random(f"{cast.seed}:replay:{call_plan.reference}")

    def run(self) -> list[tuple[Dossier, DossierPlan]]:
        call = call_create(
            reference=self.call_plan.reference,
            title=self.call_plan.title,
            description=self.call_plan.description,
            opens_at=self.call_plan.opens_at,
            closes_at=self.call_plan.closes_at,
            label_duration_months=36,
            qpv_training_target=self.call_plan.qpv_training_target,
            required_attachments=list(self.call_plan.required_attachments),
            criteria=self.call_plan.criteria,
            published=True,
        )
        self._declarations(call)
        dossiers = self._applications(call)
        reviewed = self._instruction(call, dossiers)
        self._committee(call, reviewed)
        return dossiers

    def _creator(self, plan: DossierPlan) -> User:
        return self.cast.org_users[plan.organisation][plan.creator]

    # -- before the deadline

    def _declarations(self, call: Call) -> None:
        """Each member's declaration of interests for the call: a third of them name one or
        two applicant organisations; members working for one always name it."""
        applicants = sorted({plan.organisation for plan in self.plans})
        for index, member in enumerate(self.cast.committee):
            linked: set[int] = set()
            if index in self.cast.member_org:
                linked.add(self.cast.member_org[index])
            if self.rng.random() < 1 / 3:
                count = min(len(applicants), self.rng.randint(1, 2))
                linked.update(self.rng.sample(applicants, k=count))
            linked.discard(0)  # keep the demo applicant reviewable by the demo member
            organisations = [self.cast.organisations[i] for i in sorted(linked)]
            interests_declare(
                call=call,
                member=member,
                organisations="\n".join(o.name for o in organisations),
                sirets="\n".join(o.siret for o in organisations),
                comment="" if organisations else "Aucun lien d'intérêts à déclarer.",
            )

    def _applications(self, call: Call) -> list[tuple[Dossier, DossierPlan]]:
        dossiers = []
        for number, plan in enumerate(self.plans):
            organisation = self.cast.organisations[plan.organisation]
            actor = self._creator(plan)
            dossier = dossier_create(
                call=call,
                organisation=organisation,
                actor=actor,
                now=plan.created_at,
                **plan.fields,
            )
            if plan.path != c.DRAFT:
                kinds = list(self.call_plan.required_attachments)
                if self.rng.random() < 0.1:
                    kinds.append("support_letter")
                for kind in kinds:
                    text = f"GEN demo {call.reference} {organisation.siret} {number} {kind}"
                    content = demo_pdf(text)
                    upload = SimpleUploadedFile(
                        ATTACHMENT_NAMES[kind], content, content_type="application/pdf"
                    )
                    attachment_add(dossier=dossier, actor=actor, kind=kind, upload=upload)
            self.cast.plan_of[dossier.pk] = plan
            dossiers.append((dossier, plan))
        # Numbers are issued in submission order, as on the real platform.
        submitted = sorted(
            (pair for pair in dossiers if pair[1].submitted_at is not None),
            key=lambda pair: pair[1].submitted_at,
        )
        by_pk = {
            dossier.pk: dossier_submit(
                dossier=dossier, actor=self._creator(plan), now=plan.submitted_at
            )
            for dossier, plan in submitted
        }
        return [(by_pk.get(dossier.pk, dossier), plan) for dossier, plan in dossiers]

    # -- instruction

    def _instruction(
        self, call: Call, dossiers: Sequence[tuple[Dossier, DossierPlan]]
    ) -> dict[int, Dossier]:
        """After the deadline: withdrawals, review starts, then (for calls reviewed on the
        portal) conflicts, assignments, correction requests and reviews. Returns the
        dossiers that went into review, by pk."""
        staff = self.cast.staff
        window_start, window_end = self.call_plan.review_window
        reviewed: dict[int, Dossier] = {}
        started: dict[int, datetime.datetime] = {}
        for dossier, plan in dossiers:
            if plan.path == c.WITHDRAWN_SUBMITTED:
                days = datetime.timedelta(days=self.rng.randint(2, 20))
                self._withdraw(dossier, plan, self.call_plan.closes_at + days)
            elif plan.path in c.REVIEWED_PATHS:
                at = between(self.rng, window_start, window_end)
                reviewed[dossier.pk] = dossier_start_review(dossier=dossier, actor=staff, at=at)
                started[dossier.pk] = at

        candidates = sorted(reviewed)
        assignments = self._assignments(call, reviewed) if self.call_plan.reviews_on_portal else {}
        criteria = list(call.criteria.order_by("position"))
        meeting = self.call_plan.meetings[0]
        for pk in candidates:
            plan = self.cast.plan_of[pk]
            if plan.corrected or plan.path == c.IN_REVIEW_CORRECTION:
                reviewed[pk] = self._correction(reviewed[pk], plan, started[pk])
            if pk in assignments:
                self._reviews(assignments[pk], plan, criteria, started[pk])
            if plan.path == c.WITHDRAWN_REVIEW:
                at = between(self.rng, started[pk], meeting - datetime.timedelta(days=7))
                reviewed[pk] = self._withdraw(reviewed[pk], plan, at)
        return reviewed

    def _assignments(
        self, call: Call, reviewed: dict[int, Dossier]
    ) -> dict[int, list[ReviewAssignment]]:
        """What the staff pages do: a few members declare a conflict on a dossier, the staff
        run the automatic distribution (two reviewers each, never a conflicted member, one
        who declared an interest in the organisation or one who belongs to it); then a
        member discovers a conflict on a dossier assigned to them, which takes it away, and
        the staff run the distribution again to replace them."""
        staff, committee = self.cast.staff, self.cast.committee
        candidates = sorted(reviewed)
        for pk in self.rng.sample(candidates, k=min(len(candidates), scaled(6, self.cast.scale))):
            dossier_conflict_declare(
                dossier=reviewed[pk],
                member=committee[self.rng.randrange(1, len(committee))],
                comment="J'ai conseillé ce porteur de projet lors de sa création.",
            )
        assignments_auto(call=call, per_dossier=2, actor=staff)

        late = next((pk for pk in candidates if self.cast.plan_of[pk].path == c.IN_REVIEW), None)
        if late is not None:
            leaving = ReviewAssignment.objects.filter(dossier_id=late).order_by("pk").last()
            dossier_conflict_declare(
                dossier=reviewed[late],
                member=leaving.member,
                comment="Un proche travaille dans cette organisation.",
            )
            assignments_auto(call=call, per_dossier=2, actor=staff)

        assignments: dict[int, list[ReviewAssignment]] = {pk: [] for pk in candidates}
        rows = ReviewAssignment.objects.filter(dossier__in=candidates).select_related(
            "dossier__call"
        )
        for assignment in rows.order_by("pk"):
            assignments[assignment.dossier_id].append(assignment)
        return assignments

    def _withdraw(self, dossier: Dossier, plan: DossierPlan, at: datetime.datetime) -> Dossier:
        return dossier_withdraw(
            dossier=dossier,
            actor=self._creator(plan),
            reason=self.rng.choice(WITHDRAWAL_REASONS),
            at=at,
        )

    def _correction(
        self, dossier: Dossier, plan: DossierPlan, started: datetime.datetime
    ) -> Dossier:
        asked = started + datetime.timedelta(
            days=self.rng.randint(1, 10), hours=self.rng.randint(0, 8)
        )
        dossier = dossier_request_correction(
            dossier=dossier,
            actor=self.cast.staff,
            message=self.rng.choice(CORRECTION_MESSAGES),
            at=asked,
        )
        if plan.path == c.IN_REVIEW_CORRECTION:
            return dossier  # still waiting for the applicant
        actor = self._creator(plan)
        dossier = dossier_update(
            dossier=dossier,
            actor=actor,
            fields={
                "support_description": f"{plan.fields['support_description']} Immersion de "
                "quatre semaines chez les entreprises partenaires, convention signée avant "
                "l'entrée en formation."
            },
        )
        answered = asked + datetime.timedelta(days=self.rng.randint(2, 8))
        return dossier_submit(dossier=dossier, actor=actor, now=answered)

    def _reviews(
        self,
        assignments: Sequence[ReviewAssignment],
        plan: DossierPlan,
        criteria: Sequence[Criterion],
        started: datetime.datetime,
    ) -> None:
        """Decided dossiers have both reviews submitted; dossiers still in review have
        none, one or two, some saved as drafts (part of the scores, no opinion yet)."""
        if plan.path in c.DECIDED_AT_FIRST_MEETING:
            modes = ["submit", "submit"]
        elif plan.path == c.IN_REVIEW:
            modes = self.rng.choice(
                ([], ["submit"], ["submit", "draft"], ["submit", "submit"], ["draft"])
            )
        else:
            modes = self.rng.choice(([], ["draft"]))
        meeting = self.call_plan.meetings[0]
        for assignment, mode in zip(assignments, modes, strict=False):
            scores = {}
            for criterion in criteria:
                noisy = plan.quality + self.rng.uniform(-0.2, 0.2)
                score = round(noisy * criterion.max_score)
                scores[criterion.pk] = max(0, min(criterion.max_score, score))
            if plan.path in c.ENDS_LABELLED:
                # A labelled dossier cannot have failed an eliminatory criterion.
                scores.update({k.pk: k.max_score for k in criteria if k.eliminatory})
            weighted = sum(scores[k.pk] * k.weight / k.max_score for k in criteria)
            average = float(weighted / sum(k.weight for k in criteria))
            if average >= 0.62:
                recommendation = "favourable"
            elif average >= 0.45:
                recommendation = "reserved"
            else:
                recommendation = "unfavourable"
            if mode == "draft":
                scores = dict(list(scores.items())[: max(1, len(scores) // 2)])
                recommendation = ""
            review_save(
                assignment=assignment,
                scores=scores,
                recommendation=recommendation,
                comment=REVIEW_COMMENTS.get(recommendation, ""),
                submit=mode == "submit",
                now=between(
                    self.rng,
                    started + datetime.timedelta(days=3),
                    meeting - datetime.timedelta(days=2),
                ),
            )

    # -- committee

    def _committee(self, call: Call, reviewed: dict[int, Dossier]) -> None:
        """First meeting: every decided dossier (labelled, rejected or deferred). Second
        meeting: the deferred ones that get settled."""
        staff, plan_of = self.cast.staff, self.cast.plan_of
        first_day, second_day = self.call_plan.meetings
        on_first = [pk for pk in sorted(reviewed) if plan_of[pk].path in c.DECIDED_AT_FIRST_MEETING]
        first = self._meeting(call, first_day, [reviewed[pk] for pk in on_first])
        for position, pk in enumerate(on_first):
            path = plan_of[pk].path
            if path == c.LABELLED:
                outcome, reason = Decision.Outcome.LABELLED, ""
            elif path == c.REJECTED:
                outcome, reason = Decision.Outcome.REJECTED, self.rng.choice(REJECTION_REASONS)
            else:
                outcome, reason = Decision.Outcome.DEFERRED, self.rng.choice(DEFERRAL_REASONS)
            decision_record(
                dossier=reviewed[pk],
                outcome=outcome,
                actor=staff,
                reason=reason,
                meeting=first,
                decided_at=first_day + datetime.timedelta(minutes=30, seconds=20 * position),
            )
            if path == c.DEFERRED_WITHDRAWN:
                days = datetime.timedelta(days=self.rng.randint(2, 5))
                self._withdraw(reviewed[pk], plan_of[pk], first_day + days)

        settled = (c.DEFERRED_LABELLED, c.DEFERRED_REJECTED)
        on_second = [pk for pk in on_first if plan_of[pk].path in settled]
        second = self._meeting(call, second_day, [reviewed[pk] for pk in on_second])
        for position, pk in enumerate(on_second):
            labelled = plan_of[pk].path == c.DEFERRED_LABELLED
            decision_record(
                dossier=reviewed[pk],
                outcome=Decision.Outcome.LABELLED if labelled else Decision.Outcome.REJECTED,
                actor=staff,
                reason="" if labelled else self.rng.choice(REJECTION_REASONS),
                meeting=second,
                decided_at=second_day + datetime.timedelta(minutes=30, seconds=60 * position),
            )

    def _meeting(
        self, call: Call, day: datetime.datetime, agenda: Iterable[Dossier]
    ) -> CommitteeMeeting:
        committee = self.cast.committee
        present = sorted(self.rng.sample(range(len(committee)), k=self.rng.randint(8, 11)))
        if 0 not in present:
            present.insert(0, 0)  # the demo member attends every meeting
        return meeting_schedule(
            call=call,
            date=day,
            actor=self.cast.staff,
            members_present=[committee[i] for i in present],
            agenda=list(agenda),
            quorum=c.MEETING_QUORUM,
            location=self.call_plan.location,
        )
