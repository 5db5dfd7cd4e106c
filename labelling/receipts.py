"""The PDF receipt of a submitted dossier: what was received, when, and its SHA-256."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Dossier


def _row(label: str, value) -> list:
    styles = getSampleStyleSheet()
    text = "—" if value in (None, "") else escape(str(value))
    return [Paragraph(escape(label), styles["BodyText"]), Paragraph(text, styles["BodyText"])]


def receipt_pdf(dossier: Dossier) -> bytes:
    """Render the receipt. Only submitted dossiers have one (they carry a reference)."""
    if not dossier.reference:
        raise ValueError("a draft has no receipt")
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Accusé de réception %(ref)s") % {"ref": dossier.reference},
        author="Grande école du numérique",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    submitted = timezone.localtime(dossier.submitted_at).strftime("%d/%m/%Y %H:%M:%S")
    rows = [
        _row(_("Numéro de dossier"), dossier.reference),
        _row(_("Appel"), f"{dossier.call.reference} – {dossier.call.title}"),
        _row(_("Déposé le (heure de Paris)"), submitted),
        _row(
            _("Organisation"), f"{dossier.organisation.name} (SIRET {dossier.organisation.siret})"
        ),
        _row(_("Formation"), dossier.training_title),
        _row(_("Durée (mois)"), dossier.duration_months),
        _row(_("Gratuite pour les apprenants"), _("oui") if dossier.is_free else _("non")),
        _row(
            _("Lieu de formation"),
            f"{dossier.site_address}, {dossier.site_postcode} {dossier.site_city}",
        ),
        _row(_("Entrants prévus par an"), dossier.planned_entrants_per_year),
        _row(_("Pièces jointes"), ", ".join(a.original_name for a in dossier.attachments.all())),
    ]
    table = Table(rows, colWidths=[55 * mm, 115 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
            ]
        )
    )
    story = [
        Paragraph("Grande école du numérique", styles["Title"]),
        Paragraph(_("Accusé de réception de candidature"), styles["Heading2"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(_("Empreinte SHA-256 du contenu déposé :"), styles["Heading4"]),
        Paragraph(f"<font face='Courier'>{dossier.content_sha256}</font>", styles["BodyText"]),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                _(
                    "Cette empreinte identifie exactement le contenu reçu (réponses et pièces "
                    "jointes) : toute modification ultérieure du dossier en change la valeur."
                )
            ),
            styles["BodyText"],
        ),
    ]
    document.build(story)
    return buffer.getvalue()
