"""The forms that record a child's agreement: in a session, or with a parent."""

from typing import Any

from django import forms
from django.utils.translation import gettext

from children.models import Child
from common.validators import validate_person_name


class InSessionAgreementForm(forms.Form):
    """A member of staff read the agreement with the child in a session."""

    child_name = forms.CharField(
        label="The child's name, as they said or typed it",
        max_length=200,
        validators=[validate_person_name],
        error_messages={"required": "Enter the child's name as they said or typed it."},
    )
    read_together = forms.BooleanField(
        label="I read the agreement with the child and they agreed",
        error_messages={"required": "Confirm that you read the agreement with the child."},
    )


class WithParentAgreementForm(forms.Form):
    """A parent or carer read the agreement with their child on their own link."""

    child_name = forms.CharField(max_length=200, validators=[validate_person_name])
    read_together = forms.BooleanField()

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = child.preferred_name or child.first_name
        name = self.fields["child_name"]
        # In the parent's language: the view activates it before building the form.
        words = {"child": first}
        name.label = gettext("%(child)s's name, as %(child)s would write it") % words
        name.help_text = gettext("Let %(child)s type it if they can.") % words
        name.error_messages["required"] = (
            gettext("Type %(child)s's name as they would write it.") % words
        )
        name.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        ticked = self.fields["read_together"]
        ticked.label = gettext("%(child)s read this with me and agrees") % words
        ticked.error_messages["required"] = (
            gettext("Tick to say %(child)s read this with you and agrees.") % words
        )
