"""The three calls of the demo (2015, 2016, 2018): dates, criteria, required attachments
and how many dossiers end each way. Dates follow the GEN's history; the 2018 call closed on
Thursday 28 June 2018 at midnight, Paris time, the evening before the article.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MEETING_QUORUM = 6  # of the 12 committee members


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


# ------------------------------------------------------------------------ dossier stories

# How a dossier's story ends. Decided ones are decided at the call's first committee
# meeting; `deferred_*` ones are deferred there and settled (or not) at the second.
DRAFT = "draft"  # created, never submitted
SUBMITTED = "submitted"  # submitted, instruction not started yet
WITHDRAWN_SUBMITTED = "withdrawn_submitted"
IN_REVIEW = "in_review"
IN_REVIEW_CORRECTION = "in_review_correction"  # correction requested, not yet resubmitted
WITHDRAWN_REVIEW = "withdrawn_review"
LABELLED = "labelled"
REJECTED = "rejected"
DEFERRED = "deferred"  # deferred at the first meeting, still deferred
DEFERRED_LABELLED = "deferred_labelled"
DEFERRED_REJECTED = "deferred_rejected"
DEFERRED_WITHDRAWN = "deferred_withdrawn"

REVIEWED_PATHS = frozenset(
    {
        IN_REVIEW,
        IN_REVIEW_CORRECTION,
        WITHDRAWN_REVIEW,
        LABELLED,
        REJECTED,
        DEFERRED,
        DEFERRED_LABELLED,
        DEFERRED_REJECTED,
        DEFERRED_WITHDRAWN,
    }
)
DECIDED_AT_FIRST_MEETING = frozenset(
    {LABELLED, REJECTED, DEFERRED, DEFERRED_LABELLED, DEFERRED_REJECTED, DEFERRED_WITHDRAWN}
)
ENDS_LABELLED = frozenset({LABELLED, DEFERRED_LABELLED})


@dataclass(frozen=True)
class CallPlan:
    reference: str
    title: str
    description: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    meetings: tuple[datetime.datetime, datetime.datetime]
    location: str
    required_attachments: tuple[str, ...]
    criteria: tuple[dict, ...]
    qpv_training_target: Decimal | None
    # Number of dossiers per story at scale 1.0.
    paths: dict[str, int]
    # Share of labelled trainings sited in / undetermined about a QPV.
    labelled_qpv_in: float
    labelled_qpv_undetermined: float
    # Whether committee members were assigned and scored dossiers on the portal. The 2015 and
    # 2016 calls predate the real platform: the demo replays their dossiers and decisions but
    # not their reviews, which also keeps the load fast.
    reviews_on_portal: bool = False

    @property
    def review_window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """When instruction starts: from a few days after closing to two weeks before the
        first meeting."""
        return (
            self.closes_at + datetime.timedelta(days=3),
            self.meetings[0] - datetime.timedelta(days=21),
        )


_CRITERIA_BASE: tuple[dict, ...] = (
    {
        "title": "Publics visés et accessibilité",
        "guidance": "Part de personnes éloignées de l'emploi (jeunes sans qualification, "
        "demandeurs d'emploi, résidents des quartiers prioritaires, femmes) ; aucun diplôme "
        "exigé à l'entrée ; modalités de recrutement.",
        "weight": Decimal("3"),
        "max_score": 5,
    },
    {
        "title": "Besoins en compétences du territoire",
        "guidance": "Métiers visés en tension localement, lien avec les employeurs, "
        "débouchés démontrés (offres, lettres d'entreprises).",
        "weight": Decimal("2"),
        "max_score": 5,
    },
    {
        "title": "Pédagogie et contenu",
        "guidance": "Pédagogie active par projets, progression, volume horaire cohérent avec "
        "les compétences visées, qualification ou certification préparée.",
        "weight": Decimal("2"),
        "max_score": 5,
    },
    {
        "title": "Accompagnement socio-professionnel et immersion",
        "guidance": "Référent identifié, levée des freins périphériques, semaines "
        "d'immersion en entreprise, suivi après la sortie.",
        "weight": Decimal("2"),
        "max_score": 5,
    },
    {
        "title": "Solidité du porteur et modèle économique",
        "guidance": "Expérience du porteur, budget équilibré, cofinancements, gratuité pour "
        "les apprenants ou coût justifié.",
        "weight": Decimal("1"),
        "max_score": 5,
    },
)
_CRITERION_DIVERSITY = {
    "title": "Mixité et égalité femmes-hommes",
    "guidance": "Actions concrètes pour recruter des femmes (communication, horaires, "
    "garde d'enfants) et part visée.",
    "weight": Decimal("1.5"),
    "max_score": 5,
}
_CRITERION_QPV = {
    "title": "Implantation en quartier prioritaire",
    "guidance": "Lieu de formation situé dans un quartier prioritaire de la politique de "
    "la ville (QPV) ou à proximité immédiate, partenariats avec les acteurs du quartier. "
    "Objectif de l'appel : 30 % de formations implantées en QPV.",
    "weight": Decimal("2"),
    "max_score": 5,
}
_CRITERION_ELIGIBILITY = {
    "title": "Conformité aux règles du label",
    "guidance": "Durée de 3 à 24 mois, aucun diplôme exigé, formation ouverte à tous. "
    "Note 0 : le dossier ne peut pas être labellisé.",
    "weight": Decimal("1"),
    "max_score": 1,
    "eliminatory": True,
}

CALLS: tuple[CallPlan, ...] = (
    CallPlan(
        reference="2015",
        title="Premier appel à labellisation de la Grande école du numérique",
        description="Labellisation de formations aux métiers du numérique ouvertes à tous, "
        "prioritairement aux personnes éloignées de l'emploi.",
        opens_at=paris(2015, 9, 28, 9),
        closes_at=paris(2015, 11, 14),
        meetings=(paris(2016, 2, 3, 9, 30), paris(2016, 3, 17, 9, 30)),
        location="Paris, secrétariat d'État chargé du Numérique",
        required_attachments=("statutes", "budget"),
        criteria=_CRITERIA_BASE,
        qpv_training_target=None,
        paths={
            DRAFT: 14,
            WITHDRAWN_SUBMITTED: 2,
            WITHDRAWN_REVIEW: 4,
            LABELLED: 162,
            DEFERRED_LABELLED: 9,
            REJECTED: 190,
            DEFERRED_REJECTED: 8,
        },
        labelled_qpv_in=0.18,
        labelled_qpv_undetermined=0.06,
    ),
    CallPlan(
        reference="2016",
        title="Deuxième appel à labellisation de la Grande école du numérique",
        description="Deuxième vague de labellisation : élargir le réseau aux territoires "
        "peu couverts, outre-mer compris.",
        opens_at=paris(2016, 5, 30, 9),
        closes_at=paris(2016, 7, 23),
        meetings=(paris(2016, 11, 24, 9, 30), paris(2017, 1, 19, 9, 30)),
        location="Paris, Grande école du numérique",
        required_attachments=("statutes", "budget"),
        criteria=(*_CRITERIA_BASE, _CRITERION_DIVERSITY),
        qpv_training_target=None,
        paths={
            DRAFT: 18,
            WITHDRAWN_SUBMITTED: 3,
            WITHDRAWN_REVIEW: 3,
            DEFERRED_WITHDRAWN: 2,
            LABELLED: 214,
            DEFERRED_LABELLED: 15,
            REJECTED: 205,
            DEFERRED_REJECTED: 9,
        },
        labelled_qpv_in=0.19,
        labelled_qpv_undetermined=0.05,
    ),
    CallPlan(
        reference="2018",
        title="Troisième appel à labellisation de la Grande école du numérique",
        description="Troisième appel : élargir le réseau pour accueillir 5 000 entrants en "
        "2019, avec un objectif de 30 % de formations implantées dans les quartiers "
        "prioritaires.",
        opens_at=paris(2018, 4, 23, 10),
        # "Ouvert jusqu'à ce jeudi soir minuit": Thursday 28 June 2018 at midnight.
        closes_at=paris(2018, 6, 29),
        meetings=(paris(2018, 9, 27, 9, 30), paris(2018, 10, 4, 9, 30)),
        location="Paris, Grande école du numérique",
        required_attachments=("statutes", "budget"),
        criteria=(*_CRITERIA_BASE[:4], _CRITERION_QPV, _CRITERION_ELIGIBILITY),
        qpv_training_target=Decimal("0.30"),
        paths={
            DRAFT: 31,
            SUBMITTED: 60,
            WITHDRAWN_SUBMITTED: 3,
            IN_REVIEW: 107,
            IN_REVIEW_CORRECTION: 18,
            WITHDRAWN_REVIEW: 4,
            LABELLED: 333,
            DEFERRED_LABELLED: 14,
            REJECTED: 284,
            DEFERRED_REJECTED: 6,
            DEFERRED: 24,
            DEFERRED_WITHDRAWN: 2,
        },
        labelled_qpv_in=0.32,
        labelled_qpv_undetermined=0.03,
        reviews_on_portal=True,
    ),
)
