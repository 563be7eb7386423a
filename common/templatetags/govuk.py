"""Render any form field's widget the GOV.UK Frontend way, with its error state
announced to assistive technology. Used by components/field.html."""

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_WIDGET_CLASSES = [
    (forms.Textarea, "govuk-textarea"),
    (forms.Select, "govuk-select"),
    (forms.CheckboxInput, "govuk-checkboxes__input"),
    (forms.ClearableFileInput, "govuk-file-upload"),
    (forms.FileInput, "govuk-file-upload"),
]


def widget_class(field: BoundField) -> str:
    for widget_type, css in _WIDGET_CLASSES:
        if isinstance(field.field.widget, widget_type):
            return css
    return "govuk-input"


@register.filter
def govuk_widget(field: BoundField) -> SafeString:
    css = widget_class(field)
    attrs: dict[str, str | bool] = {
        "class": " ".join(filter(None, [field.field.widget.attrs.get("class"), css]))
    }
    described_by = []
    if field.help_text:
        described_by.append(f"{field.id_for_label}-hint")
    if field.errors:
        attrs["class"] = f"{attrs['class']} {css}--error"
        attrs["aria-invalid"] = "true"
        described_by += [f"{field.id_for_label}-error-{i}" for i in range(1, len(field.errors) + 1)]
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)
