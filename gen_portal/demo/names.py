"""Fictional but plausible names for the demo network: places, organisations, people,
trainings, SIRET numbers and QPV codes.

Everything here is a pure function of a `random.Random`, so the same seed always gives the
same network. The places are real towns (with their INSEE commune code and postcode) so the
breakdowns by region and department look like France; the organisations, people and streets
built on them are invented.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from trainings.geo import DEPARTMENTS, REGIONS
from trainings.validators import LA_POSTE_SIREN, luhn_ok


@dataclass(frozen=True)
class Place:
    city: str
    department_code: str
    postcode: str
    commune_code: str
    # Relative weight when drawing where an organisation sits (roughly the size of the local
    # digital-training scene, not an official figure).
    weight: int

    @property
    def region_code(self) -> str:
        return DEPARTMENTS[self.department_code][1]


# city, department, postcode, INSEE commune code, weight.
_PLACES = """
Paris|75|75011|75056|14
Paris|75|75019|75056|10
Paris|75|75020|75056|8
Saint-Denis|93|93200|93066|10
Montreuil|93|93100|93048|8
Aubervilliers|93|93300|93001|6
Bobigny|93|93000|93008|4
Créteil|94|94000|94028|5
Vitry-sur-Seine|94|94400|94081|4
Nanterre|92|92000|92050|5
Argenteuil|95|95100|95018|4
Sarcelles|95|95200|95585|3
Évry|91|91000|91228|4
Mantes-la-Jolie|78|78200|78361|3
Meaux|77|77100|77284|3
Lille|59|59000|59350|10
Roubaix|59|59100|59512|7
Tourcoing|59|59200|59599|4
Amiens|80|80000|80021|4
Lens|62|62300|62498|3
Beauvais|60|60000|60057|2
Saint-Quentin|02|02100|02691|2
Strasbourg|67|67000|67482|7
Mulhouse|68|68100|68224|4
Metz|57|57000|57463|4
Nancy|54|54000|54395|4
Reims|51|51100|51454|3
Troyes|10|10000|10387|2
Rouen|76|76000|76540|5
Le Havre|76|76600|76351|4
Caen|14|14000|14118|4
Cherbourg-en-Cotentin|50|50100|50129|2
Évreux|27|27000|27229|2
Rennes|35|35000|35238|6
Brest|29|29200|29019|3
Lorient|56|56100|56121|2
Saint-Brieuc|22|22000|22278|2
Quimper|29|29000|29232|2
Nantes|44|44000|44109|7
Saint-Nazaire|44|44600|44184|2
Angers|49|49000|49007|3
Le Mans|72|72000|72181|3
La Roche-sur-Yon|85|85000|85191|2
Laval|53|53000|53130|1
Orléans|45|45000|45234|4
Tours|37|37000|37261|4
Bourges|18|18000|18033|2
Blois|41|41000|41018|1
Chartres|28|28000|28085|1
Châteauroux|36|36000|36044|1
Dijon|21|21000|21231|4
Besançon|25|25000|25056|3
Chalon-sur-Saône|71|71100|71076|2
Auxerre|89|89000|89024|1
Belfort|90|90000|90010|1
Nevers|58|58000|58194|1
Bordeaux|33|33000|33063|8
Limoges|87|87000|87085|3
Poitiers|86|86000|86194|3
La Rochelle|17|17000|17300|2
Pau|64|64000|64445|2
Bayonne|64|64100|64102|2
Angoulême|16|16000|16015|2
Niort|79|79000|79191|1
Toulouse|31|31000|31555|9
Montpellier|34|34000|34172|7
Nîmes|30|30000|30189|3
Perpignan|66|66000|66136|3
Béziers|34|34500|34032|2
Albi|81|81000|81004|1
Tarbes|65|65000|65440|1
Carcassonne|11|11000|11069|1
Lyon|69|69007|69123|10
Lyon|69|69008|69123|5
Villeurbanne|69|69100|69266|4
Vénissieux|69|69200|69259|3
Grenoble|38|38000|38185|5
Saint-Étienne|42|42000|42218|4
Clermont-Ferrand|63|63000|63113|4
Annecy|74|74000|74010|2
Chambéry|73|73000|73065|2
Valence|26|26000|26362|2
Marseille|13|13003|13055|10
Marseille|13|13015|13055|7
Nice|06|06000|06088|5
Toulon|83|83000|83137|4
Avignon|84|84000|84007|3
Aix-en-Provence|13|13100|13001|3
Gap|05|05000|05061|1
Ajaccio|2A|20000|2A004|1
Bastia|2B|20200|2B033|1
Pointe-à-Pitre|971|97110|97120|2
Les Abymes|971|97139|97101|1
Basse-Terre|971|97100|97105|1
Fort-de-France|972|97200|97209|2
Le Lamentin|972|97232|97213|1
Cayenne|973|97300|97302|2
Saint-Laurent-du-Maroni|973|97320|97311|1
Saint-Denis|974|97400|97411|3
Saint-Pierre|974|97410|97416|2
Le Port|974|97420|97407|1
Mamoudzou|976|97600|97611|2
Koungou|976|97690|97610|1
"""


def _parse_places(text: str) -> tuple[Place, ...]:
    places = []
    for line in text.strip().splitlines():
        city, department, postcode, commune, weight = line.split("|")
        places.append(Place(city, department, postcode, commune, int(weight)))
    return tuple(places)


PLACES: tuple[Place, ...] = _parse_places(_PLACES)

# Regions in the order the demo guarantees them a labelled training: mainland first, so the
# demo applicant's organisation (the first one) sits in Île-de-France.
REGION_ORDER: tuple[str, ...] = ("11", *sorted(code for code in REGIONS if code != "11"))


def places_in_region(region_code: str) -> list[Place]:
    return [place for place in PLACES if place.region_code == region_code]


def pick_place(rng: random.Random) -> Place:
    return rng.choices(PLACES, weights=[place.weight for place in PLACES])[0]


_STREETS = (
    "rue de la République",
    "avenue Jean-Jaurès",
    "boulevard Victor-Hugo",
    "rue Pasteur",
    "rue Gambetta",
    "place de la Mairie",
    "rue des Écoles",
    "allée des Tilleuls",
    "rue du Moulin",
    "quai de la Gare",
    "rue Jules-Ferry",
    "avenue de la Libération",
    "rue Émile-Zola",
    "rue de la Paix",
    "boulevard de la Liberté",
    "rue Louise-Michel",
    "rue du Marché",
    "avenue Aimé-Césaire",
    "rue Olympe-de-Gouges",
    "chemin des Vignes",
)


def street_address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"


# --------------------------------------------------------------------------- organisations

_ORG_PATTERNS = (
    "{kind} {theme} {of_city}",
    "{kind} {theme} {city}",
    "{brand} {city}",
    "{brand}",
    "{kind} {brand}",
)
_KINDS = (
    "Association",
    "École",
    "Atelier",
    "Fabrique",
    "Campus",
    "Coopérative",
    "Institut",
    "Collectif",
    "Académie",
    "Maison",
)
_THEMES = (
    "du code",
    "numérique",
    "du web",
    "numérique solidaire",
    "des développeurs",
    "des métiers du numérique",
    "de la donnée",
    "du numérique inclusif",
    "des codeuses et codeurs",
)
_BRAND_HEADS = (
    "Code",
    "Pixel",
    "Octet",
    "Boucle",
    "Clavier",
    "Réseau",
    "Tremplin",
    "Passerelle",
    "Déclic",
    "Cap",
    "Escale",
    "Horizon",
    "Ruche",
    "Source",
    "Lanterne",
    "Fil",
    "Agora",
    "Sésame",
)
_BRAND_TAILS = (
    "& Quartiers",
    "Solidaire",
    "Avenir",
    "Numérique",
    "Lab",
    "Factory",
    "Emploi",
    "Compétences",
    "Partagé",
    "Citoyen",
    "Pour Tous",
    "Insertion",
)


def of_city(city: str) -> str:
    """French "de" before a town name: du Lamentin, des Abymes, d'Évry, de Paris."""
    if city.startswith("Le "):
        return "du " + city[3:]
    if city.startswith("Les "):
        return "des " + city[4:]
    if city[0] in "AEIOUYÉÈÊÎÔ":
        return "d'" + city
    return "de " + city


def organisation_name(rng: random.Random, place: Place, taken: set[str]) -> str:
    """A new organisation name, never one already in `taken` (which it updates)."""
    for _attempt in range(1000):
        pattern = rng.choice(_ORG_PATTERNS)
        name = pattern.format(
            kind=rng.choice(_KINDS),
            theme=rng.choice(_THEMES),
            city=place.city,
            of_city=of_city(place.city),
            brand=f"{rng.choice(_BRAND_HEADS)} {rng.choice(_BRAND_TAILS)}",
        )
        name = name[0].upper() + name[1:]
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of organisation names")  # pragma: no cover - 10^5 combinations


def slug(text: str) -> str:
    """ASCII, lowercase, dash-separated: used for the .example email domains."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)[:40].strip("-")


def _check_digit(payload: str) -> str:
    for digit in "0123456789":
        if luhn_ok(payload + digit):
            return digit
    raise AssertionError("a Luhn check digit always exists")  # pragma: no cover


def siret(rng: random.Random, taken: set[str]) -> str:
    """A 14-digit SIRET whose SIREN (first 9 digits) and whole number both pass the Luhn key,
    as real ones do. Never La Poste's SIREN (it follows another rule) nor one in `taken`."""
    while True:
        siren_body = str(rng.choice("3456789")) + "".join(rng.choices("0123456789", k=7))
        siren = siren_body + _check_digit(siren_body)
        if siren == LA_POSTE_SIREN:
            continue  # pragma: no cover
        nic_body = f"{rng.randint(1, 99):04d}"
        value = siren + nic_body + _check_digit(siren + nic_body)
        if value not in taken:
            taken.add(value)
            return value


def qpv_code(rng: random.Random, department_code: str) -> str:
    """A code shaped like the official ones: QP + department on three characters + number
    (QP075001, QP02A002, QP974010). Fictional: not checked against the official list."""
    return f"QP{department_code.zfill(3)}{rng.randint(1, 40):03d}"


# ---------------------------------------------------------------------------------- people


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    """
Camille Dominique Claude Sacha Alex Nadia Karim Sophie Thomas Léa Hugo Inès Mamadou
Fatou Julien Aurélie Mehdi Chloé Yasmine Nicolas Émilie Samir Marion Kevin Awa Pierre
Sarah Antoine Laura Moussa Élodie Rachid Manon Lucas Amina Vincent Céline Yanis
Mathilde Olivier Leïla Romain Aïcha Guillaume Zoé
"""
)
LAST_NAMES = _words(
    """
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier
Dupont Lambert Bonnet François Martinez Benali Diallo Traoré Nguyen Haddad Lopez
Fontaine Chevalier Robin Gauthier Garnier Faure Rousseau Blanc Guerin Muller Henry
Roussel Nicolas Perrin Mathieu
"""
)


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


# ------------------------------------------------------------------------------- trainings


@dataclass(frozen=True)
class TrainingKind:
    title: str
    jobs: tuple[str, ...]  # targeted jobs: ROME code and wording, one per line in the dossier
    durations: tuple[int, ...]  # plausible durations in months
    # Relative attractiveness to women, used to vary the women share between trainings (the
    # network-wide share stays exact; only who lands where changes).
    women_affinity: float


TRAINING_KINDS: tuple[TrainingKind, ...] = (
    TrainingKind(
        "Développeur web et web mobile",
        ("M1805 Études et développement informatique",),
        (6, 7, 8, 9, 12),
        0.8,
    ),
    TrainingKind(
        "Concepteur développeur d'applications",
        ("M1805 Études et développement informatique",),
        (9, 12, 18, 24),
        0.7,
    ),
    TrainingKind(
        "Technicien d'assistance informatique",
        (
            "I1401 Maintenance informatique et bureautique",
            "M1801 Administration de systèmes d'information",
        ),
        (6, 8, 10),
        0.5,
    ),
    TrainingKind(
        "Technicien réseaux et télécommunications",
        ("M1810 Production et exploitation de systèmes d'information",),
        (6, 9, 12),
        0.4,
    ),
    TrainingKind(
        "Technicien fibre optique",
        ("F1605 Montage de réseaux électriques et télécoms",),
        (3, 4, 5),
        0.2,
    ),
    TrainingKind(
        "Administrateur systèmes et réseaux",
        ("M1801 Administration de systèmes d'information",),
        (9, 12, 18),
        0.4,
    ),
    TrainingKind(
        "Intégrateur web",
        ("E1205 Réalisation de contenus multimédias", "M1805 Études et développement informatique"),
        (4, 6, 7),
        1.0,
    ),
    TrainingKind(
        "Designer web et UX",
        ("E1205 Réalisation de contenus multimédias", "E1104 Conception de contenus multimédias"),
        (6, 8, 10),
        1.6,
    ),
    TrainingKind(
        "Community manager",
        ("E1101 Animation de site multimédia",),
        (3, 4, 6),
        1.9,
    ),
    TrainingKind(
        "Chargé de projet e-commerce",
        ("M1705 Marketing", "E1101 Animation de site multimédia"),
        (5, 6, 9),
        1.5,
    ),
    TrainingKind(
        "Médiateur numérique",
        ("K2111 Formation professionnelle", "K1206 Intervention socioculturelle"),
        (4, 6, 9),
        1.8,
    ),
    TrainingKind(
        "Data analyst",
        (
            "M1805 Études et développement informatique",
            "M1403 Études et prospectives socio-économiques",
        ),
        (6, 9, 12),
        1.1,
    ),
    TrainingKind(
        "Testeur logiciel",
        ("M1805 Études et développement informatique",),
        (3, 4, 6),
        1.0,
    ),
    TrainingKind(
        "Technicien support et déploiement",
        ("M1802 Expertise et support en systèmes d'information",),
        (5, 6, 8),
        0.6,
    ),
    TrainingKind(
        "Fabmanager et prototypage numérique",
        ("I1401 Maintenance informatique et bureautique", "H1206 Management et ingénierie études"),
        (6, 9),
        0.6,
    ),
)

_TITLE_SUFFIXES = (
    "",
    "",
    "",
    " — parcours intensif",
    " en alternance",
    " pour les jeunes des quartiers",
    " — promotion mixte",
    " — reconversion",
)

_DESCRIPTIONS = (
    "Formation intensive par projets, en petits groupes, avec un formateur référent et un "
    "accompagnement vers l'emploi assuré avec les entreprises partenaires du territoire.",
    "Parcours ouvert sans condition de diplôme, alternant ateliers pratiques, projets réels "
    "pour des associations locales et périodes d'immersion en entreprise.",
    "Formation qualifiante préparant à un titre professionnel, avec un suivi individuel des "
    "apprenants pendant six mois après la sortie.",
    "Pédagogie active (apprentissage par les pairs, projets collectifs) et accompagnement "
    "socio-professionnel renforcé pour les personnes éloignées de l'emploi.",
)

SUPPORT_TEXTS = (
    "Référent insertion dédié, entretiens individuels mensuels, ateliers CV et simulation "
    "d'entretiens, aide à la mobilité et à la garde d'enfants.",
    "Accompagnement socio-professionnel assuré avec la mission locale et Pôle emploi ; "
    "levée des freins périphériques (logement, transport) avec les partenaires sociaux.",
    "Tutorat par des professionnels bénévoles, jobdating trimestriel, suivi à 3, 6 et 12 mois.",
)

PARTNER_TEXTS = (
    "Pôle emploi, mission locale, conseil régional, entreprises du numérique du bassin.",
    "Mission locale, plan local pour l'insertion et l'emploi (PLIE), fondation d'entreprise.",
    "Conseil départemental, Pôle emploi, réseau d'entreprises partenaires, association de "
    "quartier.",
)

FREE_JUSTIFICATIONS = (
    "Reste à charge limité, pris en charge par le compte personnel de formation ; aucune "
    "personne n'est refusée pour raison financière.",
    "Participation modulée selon les ressources, gratuite pour les demandeurs d'emploi.",
)


def training_title(rng: random.Random, kind: TrainingKind) -> str:
    return kind.title + rng.choice(_TITLE_SUFFIXES)


def training_description(rng: random.Random) -> str:
    return rng.choice(_DESCRIPTIONS)
