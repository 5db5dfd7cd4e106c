"""Helpers for the `crispy_dsfr` template pack (templates/crispy_dsfr/).

The templates hold the DSFR markup; this module decides what kind of DSFR control a field
is, which ids its hint and errors get, and renders the widget with the DSFR classes and the
ARIA attributes that tie the errors to the control.
"""

import re

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Bootstrap classes crispy's Submit/Button/StrictButton add by default: meaningless in DSFR.
_BOOTSTRAP_BUTTON_CLASSES = {"btn", "btn-primary", "btn-default", "btn-block", "btn-inverse"}
_SECONDARY = {"btn-secondary", "btn-outline-primary", "btn-outline-secondary", "btn-light"}

_WIDGET_CLASSES = {
    "input": "fr-input",
    "password": "fr-input fr-password__input",
    "select": "fr-select",
    "file": "fr-upload",
    "multi": "fr-input",
}


def field_kind(bound_field) -> str:
    widget = bound_field.field.widget
    if widget.is_hidden:
        return "hidden"
    # Order matters: Django's CheckboxSelectMultiple subclasses RadioSelect.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "select"
    if isinstance(widget, forms.FileInput):
        return "file"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    if isinstance(widget, forms.MultiWidget):
        return "multi"
    return "input"


def _merge_classes(*groups: str) -> str:
    seen: list[str] = []
    for group in groups:
        for name in (group or "").split():
            if name not in seen:
                seen.append(name)
    return " ".join(seen)


def _render_widget(bound_field, widget, attrs: dict, describedby: list[str]) -> SafeString:
    """Render like BoundField.as_widget(), but with our aria-describedby only.

    Django 5.2 points aria-describedby at `<id>_helptext` / `<id>_error` elements that this
    pack does not render (DSFR puts the hint inside the label); a reference to a missing id
    is an accessibility error, so the attribute is rebuilt here.
    """
    attrs = bound_field.build_widget_attrs(attrs, widget)
    own = widget.attrs.get("aria-describedby", "").split()
    refs = [*own, *(ref for ref in describedby if ref not in own)]
    if refs:
        attrs["aria-describedby"] = " ".join(refs)
    else:
        attrs.pop("aria-describedby", None)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    return widget.render(
        name=bound_field.html_name,
        value=bound_field.value(),
        attrs=attrs,
        renderer=bound_field.form.renderer,
    )


@register.simple_tag
def dsfr_field(bound_field, show_errors=True, inline_class=""):
    """Everything field.html needs to render one field, computed once.

    Returns a dict: kind, base_id, hint_id, legend_id, errors ([{id, text}]), labelledby
    (for fieldsets), widget (rendered control, not for radios/checkboxes), inline, and for
    file inputs the current file name and the clear checkbox.
    """
    widget = bound_field.field.widget
    kind = field_kind(bound_field)
    base_id = bound_field.auto_id or bound_field.html_name
    errors = []
    if show_errors:
        for index, text in enumerate(bound_field.errors):
            suffix = "" if index == 0 else f"-{index + 1}"
            errors.append({"id": f"{base_id}-desc-error{suffix}", "text": text})
    error_ids = [error["id"] for error in errors]
    info = {
        "kind": kind,
        "base_id": base_id,
        "hint_id": f"{base_id}-desc-hint",
        "legend_id": f"{base_id}-legend",
        "errors": errors,
        "labelledby": " ".join([f"{base_id}-legend", *error_ids]),
        "inline": bool(inline_class) or bool(getattr(widget, "inline", False)),
        "widget": "",
    }
    if kind in ("radios", "checkboxes"):
        # Options are rendered one by one by the template; the fieldset carries the errors.
        return info
    if kind == "hidden":
        info["widget"] = bound_field.as_widget()
        return info

    css = _WIDGET_CLASSES.get(kind, "")
    if errors and kind in ("input", "password", "multi"):
        css = f"{css} fr-input--error"
    attrs = {}
    if css:
        attrs["class"] = _merge_classes(css, widget.attrs.get("class", ""))
    if kind == "multi":
        # Sub-inputs have no label of their own: the fieldset legend names them.
        attrs["aria-labelledby"] = info["legend_id"]

    render_with = widget
    if kind == "file" and isinstance(widget, forms.ClearableFileInput):
        # The stock clearable widget prints a link to the stored file; attachments are
        # private, so render a bare file input and a DSFR checkbox for clearing instead.
        render_with = forms.FileInput(attrs=widget.attrs)
        value = bound_field.value()
        if widget.is_initial(value):
            info["current_file"] = str(value).rsplit("/", 1)[-1]
            if not bound_field.field.required and not bound_field.field.disabled:
                name = widget.clear_checkbox_name(bound_field.html_name)
                info["clear_name"] = name
                info["clear_id"] = widget.clear_checkbox_id(name)
    info["widget"] = _render_widget(bound_field, render_with, attrs, error_ids)
    return info


@register.simple_tag
def dsfr_form_errors(form, show_errors=True):
    """Errors for the summary alert at the top of a form: non-field errors first (including
    errors of hidden fields, which have nowhere else to show), then one link per field error
    pointing at its control."""
    if not show_errors or not form.is_bound:
        return []
    items = [{"text": error, "anchor": ""} for error in form.non_field_errors()]
    for bound_field in form:
        if not bound_field.errors:
            continue
        if bound_field.is_hidden:
            items.extend({"text": error, "anchor": ""} for error in bound_field.errors)
            continue
        anchor = bound_field.id_for_label or bound_field.auto_id
        if field_kind(bound_field) in ("radios", "checkboxes", "multi"):
            anchor = f"{bound_field.auto_id or bound_field.html_name}-fieldset"
        items.extend(
            {"text": error, "anchor": anchor, "label": bound_field.label}
            for error in bound_field.errors
        )
    return items


@register.filter
def dsfr_has_required(form) -> bool:
    return any(bound_field.field.required and not bound_field.is_hidden for bound_field in form)


@register.filter
def dsfr_button_class(layout_input) -> str:
    """DSFR classes for crispy's Submit, Button, Reset and StrictButton."""
    given = getattr(layout_input, "field_classes", "").split()
    input_type = getattr(layout_input, "input_type", "submit")
    variant = ""
    kept = []
    for name in given:
        if name in _BOOTSTRAP_BUTTON_CLASSES:
            continue
        if name in _SECONDARY:
            variant = "fr-btn--secondary"
            continue
        kept.append(name)
    if not variant and not any(name.startswith("fr-btn--") for name in kept):
        variant = {"button": "fr-btn--secondary", "reset": "fr-btn--tertiary"}.get(input_type, "")
    return _merge_classes("fr-btn", variant, " ".join(kept))


_CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')


@register.filter
def dsfr_strict_button_attrs(flat_attrs) -> str:
    """A StrictButton's attributes with its Bootstrap classes swapped for DSFR ones."""
    flat_attrs = str(flat_attrs or "")
    match = _CLASS_ATTR.search(flat_attrs)
    given = match.group(1).split() if match else []
    variant = "fr-btn--secondary" if any(name in _SECONDARY for name in given) else ""
    kept = [n for n in given if n not in _BOOTSTRAP_BUTTON_CLASSES and n not in _SECONDARY]
    css = _merge_classes("fr-btn", variant, " ".join(kept))
    rest = _CLASS_ATTR.sub("", flat_attrs)
    # flat_attrs was built by flatatt(), which escapes values; only the class is ours.
    return mark_safe(f' class="{css}"{rest}')  # noqa: S308
