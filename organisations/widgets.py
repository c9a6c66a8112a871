"""NHS.UK frontend widgets that every app's forms use."""

from __future__ import annotations

from datetime import date

from django import forms


class DateInput(forms.MultiWidget):
    """The NHS.UK date input: day, month and year boxes, so 16/12 cannot silently become 12 December.

    It hands the date field an ISO date (`YYYY-MM-DD`) built from the boxes; an impossible
    date (31 2 2027) or a partial one fails the date field's own check with a message. A
    request that sends the field whole (`planned_start=2027-03-12`, as scripts and saved
    drafts do) is read as it is.
    """

    template_name = "forms/widgets/date_input.html"

    def __init__(self, attrs=None):
        boxes = [forms.TextInput(attrs={"inputmode": "numeric"}) for _ in range(3)]
        super().__init__(boxes, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for sub, label in zip(context["widget"]["subwidgets"], ("Day", "Month", "Year"), strict=True):
            sub["label"], sub["width"] = label, 4 if label == "Year" else 2
        return context

    def value_from_datadict(self, data, files, name):
        if name in data:
            return data.get(name)
        day, month, year = (str(data.get(f"{name}_{i}", "") or "").strip() for i in range(3))
        if not (day or month or year):
            return ""
        if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return f"{year}-{month}-{day}"  # not a date: the field says so

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(f"{name}_{i}" not in data for i in range(3))
