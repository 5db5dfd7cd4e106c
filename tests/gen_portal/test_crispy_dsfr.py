"""The crispy_dsfr template pack renders fields with DSFR markup and tied-up errors."""

from html.parser import HTMLParser

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.template import Context, Template


class Elements(HTMLParser):
    """Every start tag with its attributes, and an index by id."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.by_id = {attrs["id"]: (tag, attrs) for tag, attrs in self.tags if "id" in attrs}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


class TrainingRequestForm(forms.Form):
    title = forms.CharField(label="Intitulé", help_text="Tel qu’il apparaîtra au catalogue.")
    region = forms.ChoiceField(label="Région", choices=[("11", "Île-de-France"), ("84", "ARA")])
    rhythm = forms.ChoiceField(
        label="Rythme",
        choices=[("full", "Temps plein"), ("part", "Temps partiel")],
        widget=forms.RadioSelect,
    )
    free = forms.BooleanField(label="Formation gratuite", required=False)
    statutes = forms.FileField(label="Statuts", required=False)
    reference = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("title") == "doublon":
            raise forms.ValidationError("Une formation porte déjà cet intitulé.")
        return data


class HelperForm(TrainingRequestForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Formation", "title", Row(Column("region"), Column("rhythm"))),
            "free",
            "statutes",
            "reference",
        )
        self.helper.add_input(Submit("submit", "Enregistrer"))


def render(form) -> str:
    template = Template("{% load crispy_forms_tags %}{% crispy form %}")
    return template.render(Context({"form": form, "csrf_token": "token"}))


def test_text_input_renders_in_a_dsfr_input_group_with_its_hint_in_the_label():
    html = render(HelperForm())
    elements = Elements(html)

    tag, attrs = elements.by_id["id_title"]
    assert tag == "input"
    assert "fr-input" in attrs["class"].split()
    assert 'class="fr-input-group"' in html
    assert (
        'class="fr-hint-text" id="id_title-desc-hint">Tel qu’il apparaîtra au catalogue.<' in html
    )
    # The hint is part of the label; an unrendered Django "_helptext" id must not be referenced.
    assert "aria-describedby" not in attrs


def test_error_message_is_referenced_by_the_inputs_aria_describedby():
    form = HelperForm(data={"title": "", "region": "11", "rhythm": "full"})
    elements = Elements(render(form))

    _tag, attrs = elements.by_id["id_title"]
    assert attrs["aria-describedby"] == "id_title-desc-error"
    assert attrs["aria-invalid"] == "true"
    assert "fr-input--error" in attrs["class"].split()
    error_tag, error_attrs = elements.by_id["id_title-desc-error"]
    assert error_tag == "p"
    assert error_attrs["class"] == "fr-error-text"
    _tag, group = elements.by_id["id_title-group"]
    assert "fr-input-group--error" in group["class"].split()


def test_every_aria_reference_points_to_an_element_that_exists():
    form = HelperForm(data={"title": "", "region": "99"})
    elements = Elements(render(form))

    for _tag, attrs in elements.tags:
        for name in ("aria-describedby", "aria-labelledby", "for"):
            for ref in attrs.get(name, "").split():
                assert ref in elements.by_id, f"{name}={ref} points nowhere"


def test_non_field_error_shows_as_a_dsfr_error_alert_at_the_top():
    form = HelperForm(data={"title": "doublon", "region": "11", "rhythm": "full"})
    html = render(form)

    assert 'class="fr-alert fr-alert--error' in html
    alert = html.index("fr-alert--error")
    assert html.index("Une formation porte déjà cet intitulé.") > alert
    assert alert < html.index('id="id_title"')


def test_error_summary_links_to_each_field_in_error():
    form = HelperForm(data={"title": "", "region": "11"})
    html = render(form)

    assert "Le formulaire contient 2 erreurs" in html
    assert 'href="#id_title"' in html
    assert 'href="#id_rhythm-fieldset"' in html


def test_radios_render_as_a_dsfr_fieldset_named_by_legend_and_error():
    form = HelperForm(data={"title": "Dev web", "region": "11"})
    html = render(form)
    elements = Elements(html)

    tag, attrs = elements.by_id["id_rhythm-fieldset"]
    assert tag == "fieldset"
    assert attrs["class"] == "fr-fieldset fr-fieldset--error"
    assert attrs["aria-labelledby"] == "id_rhythm-legend id_rhythm-desc-error"
    assert html.count('class="fr-radio-group"') == 2
    assert elements.by_id["id_rhythm_0"][1]["type"] == "radio"


def test_select_checkbox_file_and_hidden_use_their_dsfr_components():
    html = render(HelperForm())
    elements = Elements(html)

    assert elements.by_id["id_region"][1]["class"] == "fr-select"
    assert "fr-select-group" in elements.by_id["id_region-group"][1]["class"]
    assert "fr-checkbox-group" in elements.by_id["id_free-group"][1]["class"]
    assert elements.by_id["id_statutes"][1]["class"] == "fr-upload"
    assert "fr-upload-group" in elements.by_id["id_statutes-group"][1]["class"]
    assert elements.by_id["id_reference"][1]["type"] == "hidden"
    assert "id_reference-group" not in elements.by_id
    assert 'enctype="multipart/form-data"' in html


def test_required_fields_are_marked_and_the_marker_is_explained():
    html = render(HelperForm())

    assert "Les champs marqués d’un astérisque (*) sont obligatoires." in html
    assert 'Intitulé <span class="portal-required">*</span>' in html
    assert 'Formation gratuite <span class="portal-required">' not in html


def test_layout_objects_and_submit_use_dsfr_classes():
    html = render(HelperForm())

    assert '<fieldset class="fr-fieldset"' in html
    assert '<legend class="fr-fieldset__legend">Formation</legend>' in html
    assert 'class="fr-grid-row fr-grid-row--gutters"' in html
    assert '<button type="submit" name="submit" value="Enregistrer" class="fr-btn"' in html
    assert "btn-primary" not in html


def test_form_without_helper_renders_every_field_with_the_pack():
    html = render(TrainingRequestForm())

    assert html.count("fr-input-group") == 1
    assert 'name="csrfmiddlewaretoken"' in html
    assert "novalidate" in html
