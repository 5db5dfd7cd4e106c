"""Forms of the learner pages: list filters, declarations (an enrollment, an exit, a
follow-up situation), CSV uploads.

The declaration forms read and check their values with the functions of the learners.csv
import (`imports/values.py`) and explain a refusal in the words of its report: a value the
import refuses, the screens refuse too, for the same reason.
"""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from gen_portal.errors import DomainError
from outcomes.situations import Milestone, Situation
from trainings.models import Session

from .imports import values
from .imports.report import reason_sentence
from .models import Enrollment, ExitReason, Learner, Sex, SituationAtEntry
from .services import EnrollmentRecord

# The value of the explicit "not known" answer to a question that must be answered.
UNKNOWN = "inconnu"
LEARNER_REF_MAX = Learner._meta.get_field("learner_ref").max_length
QPV_CODE_MAX = Enrollment._meta.get_field("qpv_code").max_length
DIPLOMA_MAX = Enrollment._meta.get_field("diploma_level").max_length

reason_lazy = lazy(reason_sentence, str)

# A learners.csv of a large network is a few tens of megabytes; past this, something is wrong.
UPLOAD_MAX_BYTES = 100 * 1024 * 1024


class EnrollmentFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(Column("training"), Column("session"), Column("state"), css_class="fr-mb-3w"),
            "missing_followups",
            Submit("", _("Filtrer")),
        )


class FollowUpForm(forms.Form):
    milestone = forms.ChoiceField(label=_("Échéance"), choices=Milestone.choices)
    situation = forms.ChoiceField(label=_("Situation"), choices=Situation.choices)
    observed_on = forms.DateField(
        label=_("Constatée le"),
        help_text=_("Facultatif. Format : JJ/MM/AAAA"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("milestone", "situation", "observed_on")


# --- declarations ---------------------------------------------------------------------------


class InlineRadioSelect(forms.RadioSelect):
    """Radio buttons side by side (a few short answers)."""

    inline = True


def _invalid(problem: values.Invalid) -> forms.ValidationError:
    return forms.ValidationError(reason_sentence(problem.code, **problem.params), code=problem.code)


def _not_after(day: datetime.date | None, today: datetime.date, message) -> None:
    if day is not None and day > today:
        raise forms.ValidationError(message % {"today": date_format(today, "d/m/Y")})


class DeclarationDateField(forms.DateField):
    """A date read as a learners.csv cell is (`values.date`): AAAA-MM-JJ, as the browser's
    date picker sends it, or JJ/MM/AAAA, typed where there is none; an impossible date or a
    year outside 1900–2100 is refused in the import's words."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return values.date(str(value))
        except values.Invalid as problem:
            raise _invalid(problem) from None


def _answer(choices, unknown_label) -> list[tuple[str, str]]:
    """The choices of a question that must be answered, "not known" included explicitly:
    an unknown is a fact the indicators count apart, never a forgotten field."""
    return [(value, label) for value, label in choices if value] + [(UNKNOWN, unknown_label)]


YES_NO = [("oui", _("Oui")), ("non", _("Non"))]

ENTRY_DATE_FUTURE = _("La date d'entrée ne peut pas être postérieure à aujourd'hui (%(today)s).")
EXIT_DATE_FUTURE = _("La date de sortie ne peut pas être postérieure à aujourd'hui (%(today)s).")
SESSION_OTHER_TRAINING = _("Cette session n'est pas une session de la formation choisie.")


class DeclarationForm(forms.Form):
    """What the services may still refuse (they read the database), shown next to the field
    concerned; subclasses name the fields."""

    DOMAIN_ERROR_FIELDS: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(self.DOMAIN_ERROR_FIELDS.get(error.code), error.message)


class EnrollmentDeclareForm(DeclarationForm):
    """A learner and their enrollment in one of the user's trainings: one learners.csv row
    without the exit, read with the import's rules."""

    learner_ref = forms.CharField(
        label=_("Référence de l'apprenant"),
        help_text=_(
            "La référence que votre organisme donne à cet apprenant, par exemple son numéro de "
            "dossier. Jamais de nom, de prénom, d'adresse électronique ni de numéro de "
            "téléphone : le portail ne connaît les apprenants que sous cette référence "
            "pseudonyme."
        ),
        error_messages={"required": _("Indiquez la référence de l'apprenant.")},
    )
    sex = forms.ChoiceField(
        label=_("Sexe"),
        choices=_answer(Sex.choices, _("Non renseigné")),
        widget=InlineRadioSelect,
        error_messages={
            "required": _("Indiquez le sexe de l'apprenant, ou « Non renseigné »."),
            "invalid_choice": reason_lazy("sex"),
        },
    )
    birth_year = forms.CharField(
        label=_("Année de naissance"),
        help_text=_("Facultatif. Quatre chiffres, par exemple 1998."),
        required=False,
    )
    training = forms.ModelChoiceField(
        label=_("Formation"),
        queryset=None,
        empty_label=_("Choisissez une formation"),
        error_messages={
            "required": _("Choisissez la formation."),
            "invalid_choice": reason_lazy("training_forbidden"),
        },
    )
    session = forms.ChoiceField(
        label=_("Session"),
        help_text=_("Facultatif. La session de cette formation où l'apprenant est entré."),
        required=False,
        error_messages={"invalid_choice": SESSION_OTHER_TRAINING},
    )
    entry_date = DeclarationDateField(
        label=_("Date d'entrée en formation"),
        help_text=_("Format : JJ/MM/AAAA"),
        error_messages={"required": _("Indiquez la date d'entrée en formation.")},
    )
    situation_at_entry = forms.ChoiceField(
        label=_("Situation à l'entrée"),
        choices=_answer(SituationAtEntry.choices, _("Non renseignée")),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Indiquez la situation à l'entrée, ou « Non renseignée »."),
            "invalid_choice": reason_lazy("situation_at_entry"),
        },
    )
    diploma_level = forms.CharField(
        label=_("Niveau de diplôme"),
        help_text=_(
            "Facultatif. Le plus haut diplôme obtenu, par exemple : infra-bac, bac, bac+2, "
            "bac+3, bac+5."
        ),
        required=False,
    )
    qpv_resident = forms.ChoiceField(
        label=_("Réside dans un quartier prioritaire de la politique de la ville (QPV)"),
        choices=_answer(YES_NO, _("Non renseigné")),
        widget=InlineRadioSelect,
        error_messages={
            "required": _("Indiquez si l'apprenant réside en QPV, ou « Non renseigné »."),
            "invalid_choice": reason_lazy("boolean"),
        },
    )
    qpv_code = forms.CharField(
        label=_("Code du quartier prioritaire"),
        help_text=_("Facultatif, si l'apprenant réside en QPV. Par exemple QP093001."),
        required=False,
    )
    free_access = forms.ChoiceField(
        label=_("Accès gratuit à la formation pour l'apprenant"),
        choices=_answer(YES_NO, _("Non renseigné")),
        widget=InlineRadioSelect,
        error_messages={
            "required": _("Indiquez si l'accès est gratuit, ou « Non renseigné »."),
            "invalid_choice": reason_lazy("boolean"),
        },
    )

    DOMAIN_ERROR_FIELDS = {
        "duplicate_enrollment": "learner_ref",
        "learner_ref_contact": "learner_ref",
        "too_long": "learner_ref",
        "sex_conflict": "sex",
        "birth_year_conflict": "birth_year",
        "birth_year": "birth_year",
        "training_forbidden": "training",
        "session_other_training": "session",
        "entry_date_future": "entry_date",
    }

    def __init__(self, *args, trainings, sessions, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["training"].queryset = trainings
        self.sessions = {session.pk: session for session in sessions}
        self.fields["session"].choices = self._session_choices()
        self.fields["learner_ref"].widget.attrs.update(
            {"maxlength": LEARNER_REF_MAX, "autocomplete": "off", "spellcheck": "false"}
        )
        self.fields["birth_year"].widget.attrs.update(
            {"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}
        )
        self.fields["qpv_code"].widget.attrs.update({"maxlength": QPV_CODE_MAX})
        self.fields["diploma_level"].widget.attrs.update({"maxlength": DIPLOMA_MAX})
        self.fields["entry_date"].widget.attrs["max"] = self.today.isoformat()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("L'apprenant"), "learner_ref", "sex", "birth_year"),
            Fieldset(_("L'inscription"), "training", "session", "entry_date"),
            Fieldset(
                _("À l'entrée en formation"),
                "situation_at_entry",
                "diploma_level",
                "qpv_resident",
                "qpv_code",
                "free_access",
            ),
        )
        self.helper.add_input(Submit("submit", _("Déclarer l'inscription")))

    def _session_choices(self) -> list:
        """Sessions grouped by training, so the list reads without a script."""
        groups: dict[int, tuple[str, list]] = {}
        for session in self.sessions.values():
            label = _("du %(start)s au %(end)s") % {
                "start": date_format(session.start_date, "d/m/Y"),
                "end": date_format(session.end_date, "d/m/Y"),
            }
            if session.place:
                label = f"{label} · {session.place}"
            training = session.training
            groups.setdefault(training.pk, (f"{training.code} – {training.title}", []))
            groups[training.pk][1].append((str(session.pk), label))
        return [("", _("Aucune ou non précisée")), *groups.values()]

    def clean_learner_ref(self) -> str:
        try:
            return values.learner_ref(self.cleaned_data["learner_ref"], max_length=LEARNER_REF_MAX)
        except values.Invalid as problem:
            raise _invalid(problem) from None

    def clean_sex(self) -> str:
        value = self.cleaned_data["sex"]
        return "" if value == UNKNOWN else values.sex(value)

    def clean_birth_year(self) -> int | None:
        try:
            return values.birth_year(self.cleaned_data["birth_year"], today=self.today)
        except values.Invalid as problem:
            raise _invalid(problem) from None

    def clean_session(self) -> Session | None:
        value = self.cleaned_data["session"]
        return self.sessions[int(value)] if value else None

    def clean_entry_date(self) -> datetime.date:
        day = self.cleaned_data["entry_date"]
        _not_after(day, self.today, ENTRY_DATE_FUTURE)
        return day

    def clean_situation_at_entry(self) -> str:
        value = self.cleaned_data["situation_at_entry"]
        return "" if value == UNKNOWN else values.situation_at_entry(value)

    def _boolean(self, name: str) -> bool | None:
        value = self.cleaned_data[name]
        return values.boolean("" if value == UNKNOWN else value)

    def clean_qpv_resident(self) -> bool | None:
        return self._boolean("qpv_resident")

    def clean_free_access(self) -> bool | None:
        return self._boolean("free_access")

    def clean_qpv_code(self) -> str:
        try:
            return values.text(self.cleaned_data["qpv_code"], max_length=QPV_CODE_MAX).upper()
        except values.Invalid as problem:
            raise _invalid(problem) from None

    def clean_diploma_level(self) -> str:
        try:
            return values.text(self.cleaned_data["diploma_level"], max_length=DIPLOMA_MAX)
        except values.Invalid as problem:
            raise _invalid(problem) from None

    def clean(self):
        cleaned = super().clean()
        training, session = cleaned.get("training"), cleaned.get("session")
        if training is not None and session is not None and session.training_id != training.pk:
            self.add_error("session", SESSION_OTHER_TRAINING)
        if cleaned.get("qpv_code") and cleaned.get("qpv_resident") is not True:
            self.add_error(
                "qpv_code",
                _("Un code QPV ne se donne que pour un apprenant qui réside en QPV (« Oui »)."),
            )
        return cleaned

    def record(self) -> EnrollmentRecord:
        data = self.cleaned_data
        session = data["session"]
        return EnrollmentRecord(
            organisation_id=data["training"].organisation_id,
            training_id=data["training"].pk,
            learner_ref=data["learner_ref"],
            entry_date=data["entry_date"],
            sex=data["sex"],
            birth_year=data["birth_year"],
            situation_at_entry=data["situation_at_entry"],
            qpv_resident=data["qpv_resident"],
            qpv_code=data["qpv_code"],
            diploma_level=data["diploma_level"],
            free_access=data["free_access"],
            session_id=session.pk if session else None,
        )


class ExitForm(DeclarationForm):
    """The exit of one enrollment, with the situation at exit when known: the exit columns of
    a learners.csv row, with the import's rules. Prefixed: it shares its page with the
    follow-up form."""

    exit_date = DeclarationDateField(
        label=_("Date de sortie"),
        help_text=_("Dernier jour en formation, fin de parcours ou abandon. Format : JJ/MM/AAAA"),
        error_messages={"required": _("Indiquez la date de sortie.")},
    )
    exit_reason = forms.ChoiceField(
        label=_("Motif de sortie"),
        choices=[(value, label) for value, label in ExitReason.choices if value],
        widget=InlineRadioSelect,
        error_messages={
            "required": reason_lazy("exit_reason_required"),
            "invalid_choice": reason_lazy("exit_reason"),
        },
    )
    situation = forms.ChoiceField(
        label=_("Situation à la sortie"),
        help_text=_("Facultatif : elle peut être déclarée plus tard."),
        choices=[("", _("Pas encore connue")), *Situation.choices],
        required=False,
        error_messages={
            "invalid_choice": reason_lazy("situation", codes=values.SITUATION_CODES),
        },
    )

    DOMAIN_ERROR_FIELDS = {
        "exit_before_entry": "exit_date",
        "exit_date_future": "exit_date",
        "followup_not_due": "exit_date",
        "exit_reason": "exit_reason",
        "exit_reason_required": "exit_reason",
        "situation": "situation",
    }

    def __init__(self, *args, enrollment: Enrollment, today: datetime.date | None = None, **kwargs):
        kwargs.setdefault("prefix", "exit")
        if enrollment.exit_date is not None:
            exit_followup = next(
                (f for f in enrollment.followups.all() if f.milestone == Milestone.EXIT), None
            )
            kwargs.setdefault(
                "initial",
                {
                    "exit_date": enrollment.exit_date,
                    "exit_reason": enrollment.exit_reason,
                    "situation": exit_followup.situation if exit_followup else "",
                },
            )
        super().__init__(*args, **kwargs)
        self.enrollment = enrollment
        self.today = today or timezone.localdate()
        self.fields["exit_date"].widget.attrs.update(
            {"min": enrollment.entry_date.isoformat(), "max": self.today.isoformat()}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template holds the <form> and its token
        self.helper.layout = Layout("exit_date", "exit_reason", "situation")

    def clean_exit_date(self) -> datetime.date:
        day = self.cleaned_data["exit_date"]
        _not_after(day, self.today, EXIT_DATE_FUTURE)
        return day

    def clean_situation(self) -> str:
        value = self.cleaned_data["situation"]
        return values.situation(value) or ""

    def clean(self):
        cleaned = super().clean()
        situation = cleaned.get("situation")
        for name, code in values.enrollment_problems(
            entry_date=self.enrollment.entry_date,
            exit_date=cleaned.get("exit_date"),
            exit_given=True,  # the field is required: a missing date has its own message
            exit_reason=cleaned.get("exit_reason"),
            milestones=[Milestone.EXIT] if situation else [],
        ):
            field = "situation" if name == Milestone.EXIT else name
            if field in cleaned:
                self.add_error(field, reason_sentence(code))
        return cleaned


class CsvUploadForm(forms.Form):
    """A CSV file to import; subclasses name the file and add what they need."""

    file = forms.FileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*self.fields)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("Fichier trop volumineux (%(max)s Mo au plus).")
                % {"max": UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class LearnersUploadForm(CsvUploadForm):
    file = forms.FileField(
        label=_("Fichier learners.csv"),
        help_text=_(
            "Fichier CSV (séparateur virgule ou point-virgule), encodé en UTF-8 ou "
            "Windows-1252, une ligne par inscription."
        ),
    )
    organisation = forms.ModelChoiceField(label=_("Organisme déclarant"), queryset=None)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is None:  # staff: imports for every organisation
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            if organisations.count() == 1:
                self.fields["organisation"].initial = organisations.first()
        self.helper.layout = Layout(*self.fields)


class TrainingsUploadForm(CsvUploadForm):
    file = forms.FileField(
        label=_("Fichier trainings.csv"),
        help_text=_(
            "Fichier CSV (séparateur virgule ou point-virgule), encodé en UTF-8 ou "
            "Windows-1252, une ligne par label de formation."
        ),
    )
