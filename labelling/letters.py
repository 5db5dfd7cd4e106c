"""PDF documents of the committee: the decision letter sent to the applicant (label
certificate, refusal or deferral) and the minutes of a meeting. Same look as the receipt
(`receipts.py`): reportlab's sample styles, A4, 20 mm margins."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import CommitteeMeeting, Decision
from .selectors import with_committee_figures

GEN = "Grande école du numérique"
# A refusal is an administrative decision of a public body: it must state how to contest
# it. One sentence, shared by the letter and the applicant's decision page.
APPEAL_ROUTE = gettext_lazy(
    "Cette décision peut faire l'objet d'un recours gracieux auprès du directeur du GIP "
    "Grande école du numérique dans un délai de deux mois à compter de sa notification, puis "
    "d'un recours contentieux devant le tribunal administratif."
)


def _document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=GEN,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )


def _text(value) -> str:
    return "—" if value in (None, "") else escape(str(value))


def _paragraphs(text: str, style) -> list:
    """Free text typed by staff, one paragraph per line, escaped."""
    return [Paragraph(escape(line), style) for line in text.splitlines() if line.strip()]


def _facts(rows: list[tuple[str, object]]) -> Table:
    styles = getSampleStyleSheet()
    table = Table(
        [
            [
                Paragraph(escape(label), styles["BodyText"]),
                Paragraph(_text(value), styles["BodyText"]),
            ]
            for label, value in rows
        ],
        colWidths=[55 * mm, 115 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
            ]
        )
    )
    return table


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _label_of(decision: Decision):
    try:
        return decision.label
    except Decision.label.RelatedObjectDoesNotExist:
        return None


def decision_letter_pdf(decision: Decision) -> bytes:
    """The letter of a decision: a label certificate, a refusal stating its reasons and the
    appeal route, or a deferral stating its reasons."""
    styles = getSampleStyleSheet()
    dossier = decision.dossier
    organisation = dossier.organisation
    buffer = io.BytesIO()
    decided_on = _date(timezone.localtime(decision.decided_at))
    address = " ".join(
        part for part in (organisation.address, organisation.postcode, organisation.city) if part
    )
    story = [
        Paragraph(GEN, styles["Title"]),
        Paragraph(escape(organisation.name), styles["BodyText"]),
        Paragraph(_text(address), styles["BodyText"]),
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Paris, le %(date)s") % {"date": decided_on}), styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    facts = [
        (_("Dossier"), dossier.reference),
        (_("Appel à labellisation"), f"{dossier.call.reference} – {dossier.call.title}"),
        (_("Organisme"), f"{organisation.name} (SIRET {organisation.siret})"),
        (_("Formation"), dossier.training_title),
        (_("Décision du"), decided_on),
    ]
    if decision.meeting_id:
        facts.append((_("Séance du comité"), _date(timezone.localtime(decision.meeting.date))))
    if decision.outcome == Decision.Outcome.LABELLED:
        label = _label_of(decision)
        title = _("Certificat de labellisation")
        story += [
            Paragraph(escape(title), styles["Heading1"]),
            Paragraph(
                escape(
                    _(
                        "Sur avis de son comité de labellisation, la Grande école du numérique "
                        "accorde son label à la formation désignée ci-dessous."
                    )
                ),
                styles["BodyText"],
            ),
            Spacer(1, 4 * mm),
        ]
        if label is not None:
            facts += [
                (_("Code de la formation"), label.training.code),
                (_("Label valable du"), _date(label.start_date)),
                (_("au"), _date(label.end_date)),
            ]
        story += [_facts(facts), Spacer(1, 6 * mm)]
        story.append(
            Paragraph(
                escape(
                    _(
                        "Le label engage l'organisme à respecter la charte de la Grande école du "
                        "numérique, notamment la gratuité pour les apprenants et le suivi de "
                        "leur situation après la formation. Il peut être retiré en cas de "
                        "manquement."
                    )
                ),
                styles["BodyText"],
            )
        )
    elif decision.outcome == Decision.Outcome.REJECTED:
        title = _("Décision de refus de labellisation")
        story += [
            Paragraph(escape(title), styles["Heading1"]),
            Paragraph(
                escape(
                    _(
                        "Après examen de votre dossier par son comité de labellisation, la "
                        "Grande école du numérique ne peut pas accorder son label à la "
                        "formation désignée ci-dessous."
                    )
                ),
                styles["BodyText"],
            ),
            Spacer(1, 4 * mm),
            _facts(facts),
            Spacer(1, 6 * mm),
            Paragraph(escape(_("Motifs de la décision")), styles["Heading2"]),
            *_paragraphs(decision.reason, styles["BodyText"]),
            Spacer(1, 4 * mm),
            Paragraph(escape(_("Voies et délais de recours")), styles["Heading2"]),
            Paragraph(escape(str(APPEAL_ROUTE)), styles["BodyText"]),
        ]
    else:
        title = _("Décision d'ajournement")
        story += [
            Paragraph(escape(title), styles["Heading1"]),
            Paragraph(
                escape(
                    _(
                        "Le comité de labellisation a ajourné l'examen de votre dossier : il "
                        "sera examiné de nouveau lors d'une prochaine séance. Les motifs "
                        "ci-dessous indiquent ce qu'il attend pour se prononcer."
                    )
                ),
                styles["BodyText"],
            ),
            Spacer(1, 4 * mm),
            _facts(facts),
            Spacer(1, 6 * mm),
            Paragraph(escape(_("Motifs de l'ajournement")), styles["Heading2"]),
            *_paragraphs(decision.reason, styles["BodyText"]),
        ]
    story += [
        Spacer(1, 10 * mm),
        Paragraph(escape(_("Pour la Grande école du numérique,")), styles["BodyText"]),
        Paragraph(escape(_("le directeur du GIP")), styles["BodyText"]),
    ]
    document = _document(buffer, f"{title} – {dossier.reference}")
    document.build(story)
    return buffer.getvalue()


def _score(value) -> str:
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def meeting_minutes_pdf(meeting: CommitteeMeeting) -> bytes:
    """The minutes: date, place, attendance against the quorum, every dossier of the agenda
    with its reviews' figures and the decision taken, then the free text typed by staff."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    members = list(meeting.members_present.order_by("full_name", "email"))
    decisions = {
        decision.dossier_id: decision for decision in meeting.decisions.order_by("decided_at", "pk")
    }
    agenda = with_committee_figures(
        meeting.agenda.select_related("organisation").order_by("reference", "pk")
    )
    present = len(members)
    quorum_text = (
        _("atteint (%(present)d présents pour un quorum de %(quorum)d)")
        if present >= meeting.quorum
        else _("non atteint (%(present)d présents pour un quorum de %(quorum)d)")
    ) % {"present": present, "quorum": meeting.quorum}
    when = timezone.localtime(meeting.date)
    title = _("Procès-verbal de la séance du %(date)s") % {"date": _date(when)}
    story = [
        Paragraph(GEN, styles["Title"]),
        Paragraph(escape(_("Comité de labellisation")), styles["Heading2"]),
        Paragraph(escape(title), styles["Heading1"]),
        _facts(
            [
                (_("Appel"), f"{meeting.call.reference} – {meeting.call.title}"),
                (_("Date et heure (heure de Paris)"), when.strftime("%d/%m/%Y %H:%M")),
                (_("Lieu"), meeting.location),
                (_("Quorum"), quorum_text),
                (
                    _("Membres présents"),
                    ", ".join(member.get_full_name() for member in members),
                ),
            ]
        ),
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Décisions")), styles["Heading2"]),
    ]
    header = [
        _("Dossier"),
        _("Organisme et formation"),
        _("Note pondérée"),
        _("Avis (F / R / D)"),
        _("Décision et motifs"),
    ]
    rows = [[Paragraph(escape(cell), small) for cell in header]]
    for dossier in agenda:
        decision = decisions.get(dossier.pk)
        if decision is None:
            outcome = _("Pas de décision en séance")
        else:
            outcome = decision.get_outcome_display()
            if decision.reason:
                # The colon's spacing differs between French and English: translatable.
                outcome = _("%(outcome)s : %(reason)s") % {
                    "outcome": outcome,
                    "reason": decision.reason,
                }
        rows.append(
            [
                Paragraph(_text(dossier.reference), small),
                Paragraph(
                    f"{escape(dossier.organisation.name)}<br/>{_text(dossier.training_title)}",
                    small,
                ),
                Paragraph(escape(_score(dossier.weighted_score)), small),
                Paragraph(
                    f"{dossier.favourable_count} / {dossier.reserved_count} / "
                    f"{dossier.unfavourable_count}",
                    small,
                ),
                Paragraph(escape(outcome), small),
            ]
        )
    table = Table(rows, colWidths=[32 * mm, 50 * mm, 20 * mm, 20 * mm, 48 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    story.append(table)
    if meeting.minutes.strip():
        story += [
            Spacer(1, 6 * mm),
            Paragraph(escape(_("Déroulé de la séance")), styles["Heading2"]),
            *_paragraphs(meeting.minutes, styles["BodyText"]),
        ]
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            escape(
                _("Document produit le %(date)s.")
                % {"date": timezone.localtime().strftime("%d/%m/%Y %H:%M")}
            ),
            small,
        ),
    ]
    document = _document(buffer, title)
    document.build(story)
    return buffer.getvalue()
