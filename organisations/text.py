"""Bounded, visible free text: every text a person types has a maximum length, enforced by
the form and the model, and text made only of invisible characters counts as empty.

Use `TextField` / `CharField` from here on models and `VisibleCharField` on plain forms.
Limits (characters): `COMMENT` for comments, `LONG` for PDSA and other long fields,
`NOTE` for short notes and reasons.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models

COMMENT = 5_000
LONG = 10_000
NOTE = 2_000

# Format characters (zero-width spaces and joiners, direction marks, the byte-order mark,
# soft hyphens) and every kind of white space.
_INVISIBLE = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]"
)


def is_visible(value: str) -> bool:
    """True when `value` has at least one character a reader would see."""
    return any(unicodedata.category(ch) != "Cf" for ch in _INVISIBLE.sub("", value))


def visible_or_empty(value: str) -> str:
    return value if is_visible(value) else ""


class VisibleCharField(forms.CharField):
    """A form field that treats text of only invisible characters as empty (so "required" says so).

    Bounded like every text input: `LONG` characters unless told otherwise."""

    def __init__(self, *, max_length: int | None = LONG, **kwargs):
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return visible_or_empty(value) if value else value

    def widget_attrs(self, widget):
        # No `maxlength` on a text area: the browser would cut pasted text silently; the
        # server says how long it may be instead (NHS.UK advice for character limits).
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.Textarea):
            attrs.pop("maxlength", None)
        return attrs


class TextField(models.TextField):
    def __init__(self, *args, max_length: int = LONG, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": VisibleCharField, **kwargs})


class CharField(models.CharField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": VisibleCharField, **kwargs})
