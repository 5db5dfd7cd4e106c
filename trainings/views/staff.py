"""Staff pages of the trainings app: the labels of a training and their withdrawal.

Thin views: authorize (staff only, through the labelling app's `staff_required`), call
`label_withdraw`, respond.
"""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gen_portal.errors import DomainError
from labelling.views.permissions import staff_required

from ..models import Label, Training
from ..services import label_withdraw


class LabelWithdrawForm(forms.Form):
    # Kept next to its only view: the trainings app has no other form yet.
    reason = forms.CharField(
        label=gettext_lazy("Motif du retrait"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Il est conservé avec le label et communiqué à l'organisme."),
        error_messages={"required": gettext_lazy("Le motif du retrait est obligatoire.")},
    )

    def __init__(self, *args, label: Label, **kwargs):
        kwargs.setdefault("prefix", f"label-{label.pk}")
        super().__init__(*args, **kwargs)
        self.label = label
        # One form per active label on the page: the label says which one.
        self.fields["reason"].label = _("Motif du retrait du label du %(start)s au %(end)s") % {
            "start": label.start_date.strftime("%d/%m/%Y"),
            "end": label.end_date.strftime("%d/%m/%Y"),
        }
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError(_("Le motif du retrait est obligatoire."))
        return value


def _labels_page(
    request: HttpRequest, training: Training, bound: LabelWithdrawForm | None = None, status=200
) -> HttpResponse:
    labels = training.labels.select_related("call", "decision__dossier", "withdrawn_by").order_by(
        "-start_date", "-pk"
    )
    rows = []
    for label in labels:
        form = None
        if label.status == Label.Status.ACTIVE:
            form = bound if bound is not None and bound.label.pk == label.pk else None
            form = form or LabelWithdrawForm(label=label)
        rows.append({"label": label, "form": form})
    title = _("Labels de la formation %(code)s") % {"code": training.code}
    return render(
        request,
        "trainings/staff/labels.html",
        {
            "training": training,
            "rows": rows,
            "page_title": title,
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("labelling:staff_call_list"), "title": _("Gestion des appels")}
                ],
                "current": title,
            },
        },
        status=status,
    )


@staff_required
@require_GET
def staff_training_labels(request: HttpRequest, pk: int) -> HttpResponse:
    training = get_object_or_404(Training.objects.select_related("organisation"), pk=pk)
    return _labels_page(request, training)


@staff_required
@require_POST
def staff_label_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(Label.objects.select_related("training__organisation"), pk=pk)
    form = LabelWithdrawForm(request.POST, label=label)
    if not form.is_valid():
        return _labels_page(request, label.training, bound=form, status=400)
    try:
        label_withdraw(label=label, reason=form.cleaned_data["reason"], actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Le label de la formation %(code)s est retiré.") % {"code": label.training.code},
        )
    return redirect("trainings:staff_training_labels", pk=label.training_id)
