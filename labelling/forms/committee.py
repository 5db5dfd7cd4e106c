"""Forms of the committee pages: the staff work queue filters, admissibility, correction
requests, assignments, declarations of interests, reviews, meetings and decisions.

Every form declares its crispy layout here; the page templates hold the `<form>` tag, the
CSRF token and the buttons.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from trainings.validators import siret_is_valid

from ..models import AdmissibilityCheck, Call, Criterion, Decision, Dossier, Review
from ..services import AWAITING_DECISION, committee_members, siret_list
from ..templatetags.labelling_tags import plain_number
from .calls import _date_field, _split, _time_field, paris_instant


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the page template holds the <form> and its token
    if layout:
        helper.layout = Layout(*layout)
    return helper


class WorkQueueFilterForm(forms.Form):
    """Base form of `filters.WorkQueueFilter`: django-filter adds the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(Column("q", css_class="fr-col-12 fr-col-md-6"), Column("state"), Column("o")),
            Row(Column("region"), Column("department"), Column("admissibility")),
            Row(
                Column("score_min"),
                Column("score_max"),
                Column("recommendation"),
                Column("reviewer"),
            ),
        )
        for name in ("score_min", "score_max"):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"min": 0, "max": 100, "step": "any"})


class AdmissibilityForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Points vérifiés"),
        choices=AdmissibilityCheck.Item.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez chaque point vérifié sur les pièces du dossier."),
    )
    notes = forms.CharField(
        label=_("Observations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visibles de l'équipe seulement."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("items", "notes")


class CorrectionRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message au candidat"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Ce qu'il doit corriger ou compléter. Le message lui est envoyé par courriel et "
            "figure dans l'historique de son dossier."
        ),
        error_messages={"required": _("Expliquez au candidat ce qu'il doit corriger.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("message")

    def clean_message(self) -> str:
        value = self.cleaned_data["message"].strip()
        if not value:
            raise forms.ValidationError(_("Expliquez au candidat ce qu'il doit corriger."))
        return value


class _MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


class AssignForm(forms.Form):
    member = _MemberChoiceField(
        label=_("Membre du comité"),
        queryset=committee_members(),
        empty_label=_("Choisir un membre"),
        help_text=_(
            "Ne sont proposés que les membres sans conflit déclaré ni lien avec l'organisme."
        ),
        error_messages={"required": _("Choisissez un membre du comité.")},
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"].queryset = committee_members().filter(
                pk__in=[member.pk for member in members]
            )
        self.helper = _helper("member")


class AutoAssignForm(forms.Form):
    per_dossier = forms.IntegerField(
        label=_("Évaluateurs par dossier"),
        min_value=1,
        max_value=10,
        initial=3,
        help_text=_(
            "Les dossiers qui en ont déjà sont complétés jusqu'à ce nombre ; les nouvelles "
            "attributions vont d'abord aux membres qui en ont le moins."
        ),
        error_messages={
            "required": _("Indiquez un nombre d'évaluateurs."),
            "min_value": _("Au moins un évaluateur par dossier."),
            "max_value": _("Dix évaluateurs par dossier au plus."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("per_dossier")


class InterestsForm(forms.Form):
    organisations = forms.CharField(
        label=_("Organismes avec lesquels vous avez un lien"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Employeur, client, association dont vous êtes membre, etc., au cours des trois "
            "dernières années. Un par ligne. Laissez vide si vous n'en avez aucun."
        ),
    )
    sirets = forms.CharField(
        label=_("SIRET de ces organismes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Un SIRET de 14 chiffres par ligne. Aucun dossier de ces organismes ne vous sera "
            "attribué."
        ),
    )
    comment = forms.CharField(
        label=_("Précisions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attest = forms.BooleanField(
        label=_("J'atteste sur l'honneur que cette déclaration est exacte et complète."),
        error_messages={"required": _("Cochez l'attestation pour enregistrer la déclaration.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("organisations", "sirets", "comment", "attest")

    def clean_sirets(self) -> str:
        numbers = siret_list(self.cleaned_data.get("sirets", ""))
        wrong = [number for number in numbers if not siret_is_valid(number)]
        if wrong:
            raise forms.ValidationError(
                _("SIRET non valide : %(numbers)s (14 chiffres, sans espace).")
                % {"numbers": ", ".join(wrong)}
            )
        return "\n".join(numbers)


class ConflictForm(forms.Form):
    comment = forms.CharField(
        label=_("Nature du lien avec l'organisme candidat"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : ancien salarié, membre du conseil d'administration."),
        error_messages={"required": _("Précisez la nature du lien avec l'organisme candidat.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("comment")


def score_field_name(criterion: Criterion) -> str:
    return f"score_{criterion.pk}"


class ReviewForm(forms.Form):
    """Scores per criterion, recommendation and comment. A draft may leave anything blank;
    `submitting` asks for every score and the recommendation (the service checks again)."""

    recommendation = forms.ChoiceField(
        label=_("Avis"),
        choices=Review.Recommendation.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Points forts, réserves, questions pour la séance du comité."),
    )

    def __init__(
        self,
        *args,
        criteria: list[Criterion],
        review: Review | None = None,
        submitting: bool = False,
        **kwargs,
    ):
        self.criteria = criteria
        self.submitting = submitting
        if review is not None and "initial" not in kwargs:
            initial = {"recommendation": review.recommendation, "comment": review.comment}
            for score in review.scores.all():
                initial[f"score_{score.criterion_id}"] = score.score
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        score_names = []
        for criterion in criteria:
            name = score_field_name(criterion)
            hint = _("Note de 0 à %(max)d, pondération %(weight)s.") % {
                "max": criterion.max_score,
                "weight": plain_number(criterion.weight),
            }
            if criterion.eliminatory:
                hint = f"{hint} {_('Critère éliminatoire.')}"
            if criterion.guidance:
                hint = f"{criterion.guidance} {hint}"
            self.fields[name] = forms.IntegerField(
                label=criterion.title,
                min_value=0,
                max_value=criterion.max_score,
                required=False,
                help_text=hint,
                error_messages={
                    "invalid": _("Saisissez un nombre entier."),
                    "min_value": _("La note ne peut pas être négative."),
                    "max_value": _("La note maximale de ce critère est %(limit_value)s."),
                },
            )
            score_names.append(name)
        self.order_fields([*score_names, "recommendation", "comment"])
        self.helper = _helper(
            Fieldset(_("Notes par critère"), *score_names),
            "recommendation",
            "comment",
        )

    def clean(self):
        cleaned = super().clean()
        if self.submitting:
            for criterion in self.criteria:
                name = score_field_name(criterion)
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Notez ce critère avant de rendre l'évaluation."))
            if not cleaned.get("recommendation"):
                self.add_error(
                    "recommendation", _("Choisissez un avis avant de rendre l'évaluation.")
                )
        return cleaned

    def scores(self) -> dict[int, int]:
        return {
            criterion.pk: self.cleaned_data[score_field_name(criterion)]
            for criterion in self.criteria
            if self.cleaned_data.get(score_field_name(criterion)) is not None
        }


class _AgendaField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.reference} — {obj.organisation.name} — {obj.training_title}"


class _MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


class MeetingForm(forms.Form):
    date = _date_field(_("Date de la séance"))
    time = _time_field(_("Heure de la séance"))
    location = forms.CharField(label=_("Lieu"), max_length=255, required=False)
    quorum = forms.IntegerField(
        label=_("Quorum"),
        min_value=1,
        max_value=100,
        initial=3,
        help_text=_("Nombre de membres présents nécessaire pour décider."),
        error_messages={"required": _("Indiquez le quorum.")},
    )
    members_present = _MembersField(
        label=_("Membres présents"),
        queryset=committee_members(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = _AgendaField(
        label=_("Dossiers à l'ordre du jour"),
        queryset=Dossier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Dossiers de l'appel en attente de décision."),
    )

    def __init__(self, *args, call: Call, meeting=None, **kwargs):
        self.call = call
        if meeting is not None and "initial" not in kwargs:
            day, time = _split(meeting.date)
            kwargs["initial"] = {
                "date": day,
                "time": time,
                "location": meeting.location,
                "quorum": meeting.quorum,
                "members_present": list(meeting.members_present.all()),
                "agenda": list(meeting.agenda.all()),
            }
        super().__init__(*args, **kwargs)
        agenda = Dossier.objects.filter(call=call, state__in=AWAITING_DECISION)
        if meeting is not None:
            agenda = agenda | Dossier.objects.filter(meetings=meeting)
        self.fields["agenda"].queryset = (
            agenda.select_related("organisation").order_by("reference", "pk").distinct()
        )
        self.helper = _helper(
            Fieldset(_("Date et lieu"), Row(Column("date"), Column("time")), "location"),
            Fieldset(_("Membres"), "quorum", "members_present"),
            "agenda",
        )

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("date"), cleaned.get("time")
        if day is not None and time is not None:
            try:
                cleaned["when"] = paris_instant(day, time)
            except forms.ValidationError as error:
                self.add_error("time", error)
        return cleaned


class DecisionForm(forms.Form):
    """The decision on one dossier of a meeting's agenda. The prefix (one per dossier) keeps
    the fields of the forms on one page apart."""

    outcome = forms.ChoiceField(
        label=_("Décision"),
        choices=Decision.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez la décision.")},
    )
    reason = forms.CharField(
        label=_("Motifs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Obligatoires pour un refus ou un ajournement : ils figurent dans la lettre "
            "envoyée au candidat."
        ),
    )
    label_start = forms.DateField(
        label=_("Début du label"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Pour une labellisation ; par défaut, le jour de la décision."),
        error_messages={"invalid": _("Saisissez une date valide, par exemple 28/06/2018.")},
    )

    def __init__(self, *args, dossier: Dossier, **kwargs):
        kwargs.setdefault("prefix", f"dossier-{dossier.pk}")
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        # Several decision forms share the page: each field names its dossier.
        for field in self.fields.values():
            field.label = _("%(label)s — dossier %(reference)s") % {
                "label": field.label,
                "reference": dossier.reference,
            }
        self.helper = _helper("outcome", "reason", "label_start")

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if (
            outcome
            and outcome != Decision.Outcome.LABELLED
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", _("Un refus ou un ajournement doit être motivé."))
        return cleaned


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Procès-verbal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Déroulé des débats, déclarations faites en séance, sorties de salle pour "
            "conflit d'intérêts. Il figure dans le procès-verbal PDF avec les décisions."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("minutes")
