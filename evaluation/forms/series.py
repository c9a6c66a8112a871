"""The series page's filters: a programme change idea, an equality dimension, a measure library entry."""

from __future__ import annotations

from django import forms


class SeriesFilterForm(forms.Form):
    """A GET form: every filter optional; a value that is not one of the choices is refused beside its field."""

    idea = forms.ChoiceField(label="Programme change idea", required=False)
    dimension = forms.ChoiceField(label="Equality dimension", required=False)
    library = forms.ChoiceField(label="Measure from the programme library", required=False)

    def __init__(self, data, *, choices):
        super().__init__(data)
        self.fields["idea"].choices = [("", "Every change idea"), *choices.ideas]
        self.fields["dimension"].choices = [("", "Any dimension, or none"), *choices.dimensions]
        self.fields["library"].choices = [("", "Every measure"), *choices.library]
        for name in self.fields:
            self.fields[name].error_messages["invalid_choice"] = "Choose one of the options in the list."

    def filters(self) -> dict:
        """The chosen filters as `evaluation.across.selected` takes them (call after `is_valid()`)."""
        data = self.cleaned_data
        return {
            "idea": int(data["idea"]) if data.get("idea") else None,
            "dimension": data.get("dimension") or "",
            "library": int(data["library"]) if data.get("library") else None,
        }
