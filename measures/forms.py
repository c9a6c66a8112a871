from datetime import date

from django import forms

from . import periods as P
from .importing import MAX_BYTES
from .models import ChartSettings


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Data file (CSV or Excel .xlsx, at most 10 MB)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is {upload.size / 1_048_576:.1f} MB; the limit is 10 MB.")
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")
        return upload


class ChartSettingsForm(forms.ModelForm):
    rebase_text = forms.CharField(
        label="Recalculate limits from (one period start per line, YYYY-MM-DD)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only at a known change, such as a new service model going live.",
    )

    class Meta:
        model = ChartSettings
        fields = ["chart_type", "rules", "fix_after", "laney"]
        labels = {"chart_type": "Chart type", "rules": "Rule set", "fix_after": "Fix limits after this many points"}

    def __init__(self, *args, measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.fields["rebase_text"].initial = "\n".join(self.instance.rebase_on or [])

    def clean_rebase_text(self):
        days = []
        for line in self.cleaned_data["rebase_text"].split():
            try:
                day = date.fromisoformat(line.strip())
            except ValueError:
                raise forms.ValidationError(f"{line!r} is not a date in the form YYYY-MM-DD.") from None
            problem = P.problem(self.measure.frequency, day)
            if problem:
                raise forms.ValidationError(f"{line}: {problem}.")
            days.append(day.isoformat())
        return sorted(set(days))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("chart_type")
        if kind == "p" and self.measure.value_type != "proportion":
            self.add_error("chart_type", "A p chart is for proportions; this measure is not one.")
        if kind == "u" and not self.measure.has_fraction:
            self.add_error("chart_type", "A u chart needs counts and exposures (a numerator and denominator).")
        if cleaned.get("laney") and kind not in ("p", "u", "auto"):
            self.add_error("laney", "The Laney adjustment applies to p and u charts only.")
        return cleaned

    def save(self, commit=True):
        self.instance.rebase_on = self.cleaned_data["rebase_text"]
        return super().save(commit=commit)
