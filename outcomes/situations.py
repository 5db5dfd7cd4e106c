"""Follow-up situation codes and their groups (DESIGN.md §4), in one place.

Changing a group changes what the indicators mean: bump DEFINITION_VERSION with it, so every
stored run says which definitions produced it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFINITION_VERSION = "1"


class Situation(models.TextChoices):
    CDI = "cdi", _("CDI")
    CDD_LONG = "cdd_long", _("CDD de 6 mois ou plus")
    CDD_SHORT = "cdd_short", _("CDD de moins de 6 mois")
    INTERIM = "interim", _("Intérim")
    ALTERNANCE = "alternance", _("Alternance (apprentissage, professionnalisation)")
    BUSINESS_CREATION = "business_creation", _("Création ou reprise d'entreprise")
    SUBSIDISED_CONTRACT = "subsidised_contract", _("Contrat aidé")
    FURTHER_STUDY = "further_study", _("Poursuite d'études ou formation qualifiante")
    JOB_SEEKING = "job_seeking", _("En recherche d'emploi")
    INACTIVE = "inactive", _("Inactif")
    UNKNOWN = "unknown", _("Situation inconnue")


EMPLOYMENT = frozenset(
    {
        Situation.CDI,
        Situation.CDD_LONG,
        Situation.CDD_SHORT,
        Situation.INTERIM,
        Situation.ALTERNANCE,
        Situation.BUSINESS_CREATION,
        Situation.SUBSIDISED_CONTRACT,
    }
)
DURABLE = frozenset({Situation.CDI, Situation.CDD_LONG, Situation.BUSINESS_CREATION})
FURTHER_STUDY = frozenset({Situation.FURTHER_STUDY})
# GEN's published definition of a positive exit: any job, alternance, business creation or
# further study.
POSITIVE = EMPLOYMENT | FURTHER_STUDY
KNOWN = POSITIVE | {Situation.JOB_SEEKING, Situation.INACTIVE}

GROUPS: dict[str, frozenset] = {
    "positive": POSITIVE,
    "employment": EMPLOYMENT,
    "durable": DURABLE,
    "further_study": FURTHER_STUDY,
    "known": KNOWN,
}


class Milestone(models.TextChoices):
    EXIT = "exit", _("À la sortie")
    M3 = "m3", _("À 3 mois")
    M6 = "m6", _("À 6 mois")
    M12 = "m12", _("À 12 mois")


MILESTONE_MONTHS = {Milestone.EXIT: 0, Milestone.M3: 3, Milestone.M6: 6, Milestone.M12: 12}
