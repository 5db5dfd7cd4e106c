from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .geo import DEPARTMENTS, REGIONS


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# La Poste's establishments share SIREN 356000000 and do not follow the Luhn rule on the
# SIRET; their SIRET digits instead sum to a multiple of 5 (INSEE's published exception).
LA_POSTE_SIREN = "356000000"


def siret_is_valid(value: str) -> bool:
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_SIREN + "00048":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value)


def validate_siret(value: str) -> None:
    if len(value) != 14 or not value.isdigit():
        raise ValidationError(
            _("Le SIRET doit compter exactement 14 chiffres (sans espace)."), code="siret_format"
        )
    if not siret_is_valid(value):
        raise ValidationError(
            _(
                "Ce SIRET n'est pas valide (clé de contrôle incorrecte) : vérifiez-le sur votre avis de situation INSEE."
            ),
            code="siret_checksum",
        )


def validate_region_code(value: str) -> None:
    if value not in REGIONS:
        raise ValidationError(_("Code région INSEE inconnu : %(value)s"), params={"value": value})


def validate_department_code(value: str) -> None:
    if value not in DEPARTMENTS:
        raise ValidationError(
            _("Code département INSEE inconnu : %(value)s"), params={"value": value}
        )
