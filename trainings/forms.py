"""Forms of the trainings app. The staff label withdrawal form stays next to its view
(`views/staff.py`); this module holds the public catalogue's filter form."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms


class CatalogueFilterForm(forms.Form):
    """Base form of `filters.CatalogueFilter`: django-filter adds the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True  # a GET search: the template holds the <form>
        helper.layout = Layout(
            Row(Column("q", css_class="fr-col-12 fr-col-md-8"), Column("o")),
            Row(Column("region"), Column("department"), Column("job")),
            Row(Column("duration"), Column("session")),
            Row(Column("free"), Column("qpv")),
        )
        self.helper = helper
        if "q" in self.fields:
            self.fields["q"].widget.input_type = "search"
