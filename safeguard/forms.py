from django import forms
from django.contrib.auth.forms import AuthenticationForm

_WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.FileInput: "govuk-file-upload",
}


class GovukFormMixin:
    """Give widgets GOV.UK Frontend classes, and mark invalid fields for assistive tech.

    The ids used in aria-describedby match those written by components/field.html.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = next(
                (c for w, c in _WIDGET_CLASSES.items() if isinstance(field.widget, w)),
                "govuk-input",
            )
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name, errors in self.errors.items():
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            base = attrs["class"].split()[0]
            attrs["class"] += f" {base}--error"
            attrs["aria-invalid"] = "true"
            field_id = self[name].id_for_label
            described = [f"{field_id}-error-{i}" for i in range(1, len(errors) + 1)]
            if self.fields[name].help_text:
                described.insert(0, f"{field_id}-hint")
            attrs["aria-describedby"] = " ".join(described)


class SignInForm(GovukFormMixin, AuthenticationForm):
    """Django's sign-in form, labelled and autocompleted for an email login."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # Same words whether the email is unknown or the password wrong, so the
        # form does not reveal who has an account.
        "invalid_login": "Enter a correct email address and password.",
    }
