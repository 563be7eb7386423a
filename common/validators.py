"""Rules for text that names a person."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy

# Control characters (line breaks, tabs, NUL...) and the Unicode line and
# paragraph separators. A name is one line: it goes into email subjects, where
# a line break makes the whole email unsendable, and onto PDFs and CSV exports.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


@deconstructible
class PersonName:
    # Lazy: parents meet this on their own forms, in the language of their page.
    message = gettext_lazy(
        "A name must be on one line, without line breaks, tabs or other control characters."
    )
    code = "control_characters"

    def __call__(self, value: str) -> None:
        if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PersonName)

    def __hash__(self) -> int:
        return hash(PersonName)


validate_person_name = PersonName()
