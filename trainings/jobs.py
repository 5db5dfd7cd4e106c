"""Digital jobs a labelled training may target, by their ROME code (France Travail's job
directory, version 3), for the catalogue's "targeted job" filter.

Reference facts, not data: a training's `targeted_jobs` is free text (one job or ROME code
per line), and the filter matches the code anywhere in that text. The list holds the codes
GEN trainings target (digital development, systems, networks, multimedia, digital
mediation); a training naming a code outside it is still found by the text search.
"""

ROME_JOBS: dict[str, str] = {
    "E1101": "Animation de site multimédia",
    "E1104": "Conception de contenus multimédias",
    "E1205": "Réalisation de contenus multimédias",
    "F1605": "Montage de réseaux électriques et télécoms",
    "H1206": "Management et ingénierie études, recherche et développement industriel",
    "I1401": "Maintenance informatique et bureautique",
    "K1206": "Intervention socioculturelle",
    "K2111": "Formation professionnelle",
    "M1403": "Études et prospectives socio-économiques",
    "M1705": "Marketing",
    "M1801": "Administration de systèmes d'information",
    "M1802": "Expertise et support en systèmes d'information",
    "M1803": "Direction des systèmes d'information",
    "M1804": "Études et développement de réseaux de télécoms",
    "M1805": "Études et développement informatique",
    "M1806": "Conseil et maîtrise d'ouvrage en systèmes d'information",
    "M1810": "Production et exploitation de systèmes d'information",
}

# Sorted by wording, as a reader scans the list.
JOB_CHOICES = [
    (code, f"{name} ({code})") for code, name in sorted(ROME_JOBS.items(), key=lambda i: i[1])
]
