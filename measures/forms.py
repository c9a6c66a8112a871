from datetime import date

from django import forms

from organisations import text as bounded
from qi_projects import equality
from qi_projects.forms import Radios, _none
from qi_projects.models import ChangeTheoryElement

from . import periods as P
from .importing import MAX_BYTES
from .models import ChartSettings, Measure, MeasureTemplate


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
    rebase_text = bounded.VisibleCharField(
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


# --- Measure definitions ----------------------------------------------------------


class MeasureFields(forms.ModelForm):
    """The definition fields of a measure and of a library template."""

    reference_category = forms.ChoiceField(
        label="Reference group",
        required=False,
        help_text="The group the others are compared with, for example White British. "
        "Must be a group of the dimension chosen above.",
    )

    FIELDS = [
        "code",
        "name",
        "kind",
        "operational_definition",
        "value_type",
        "numerator_definition",
        "denominator_definition",
        "rate_per",
        "unit",
        "value_is_count",
        "data_source",
        "frequency",
        "improvement",
        "dimension",
        "reference_category",
    ]
    WIDGETS = {
        "kind": Radios,
        "value_type": Radios,
        "frequency": Radios,
        "improvement": Radios,
        "operational_definition": forms.Textarea(attrs={"rows": 3}),
        "numerator_definition": forms.Textarea(attrs={"rows": 2}),
        "denominator_definition": forms.Textarea(attrs={"rows": 2}),
    }
    LABELS = {"name": "Measure name", "code": "Code", "kind": "Type of measure"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = equality.dimension_choices(blank="Not broken down")
        self.fields["reference_category"].choices = [("", "No reference group"), *equality.stratum_choices()]
        for name in ("kind", "value_type", "frequency", "improvement"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        instance = self.instance
        if instance.pk and instance.dimension and instance.reference_category and not self.is_bound:
            self.initial["reference_category"] = f"{instance.dimension}:{instance.reference_category}"
        elif self.initial.get("dimension") and self.initial.get("reference_category"):
            ref = self.initial["reference_category"]
            if ":" not in ref:
                self.initial["reference_category"] = f"{self.initial['dimension']}:{ref}"

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean_reference_category(self):
        value = self.cleaned_data.get("reference_category") or ""
        if not value:
            return ""
        dimension, _, category = value.partition(":")
        chosen = self.cleaned_data.get("dimension")
        if chosen and dimension != chosen:
            raise forms.ValidationError(
                f"The reference group must be one of the groups of {equality.DIMENSIONS[chosen].label}."
            )
        if not chosen:
            raise forms.ValidationError("Choose the dimension to break the measure down by first.")
        return category


class MeasureForm(MeasureFields):
    tracks = forms.ModelChoiceField(
        queryset=_none(ChangeTheoryElement), required=False, label="Driver or change idea it tracks"
    )

    class Meta:
        model = Measure
        fields = MeasureFields.FIELDS + ["baseline", "target", "tracks"]
        widgets = MeasureFields.WIDGETS
        labels = MeasureFields.LABELS

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        elements = ChangeTheoryElement.objects.filter(
            diagram__project=project, organisation_id=project.organisation_id, removed_at=None
        ).order_by("kind", "position")
        self.fields["tracks"].queryset = elements
        self.fields["tracks"].empty_label = "The aim (for an outcome measure)"
        self.fields["tracks"].label_from_instance = lambda e: f"{e.get_kind_display()}: {e.text}"

    def validate_unique(self):
        # The organisation is not a form field: check the code ourselves for a clear message.
        super().validate_unique()
        code = self.cleaned_data.get("code")
        if code:
            clash = Measure.objects.filter(organisation_id=self.project.organisation_id, code=code)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", f"Another measure already has the code {code}.")


class MeasureTemplateForm(MeasureFields):
    class Meta:
        model = MeasureTemplate
        fields = MeasureFields.FIELDS + ["guidance"]
        widgets = {**MeasureFields.WIDGETS, "guidance": forms.Textarea(attrs={"rows": 2})}
        labels = MeasureFields.LABELS

    def __init__(self, *args, collaborative, **kwargs):
        super().__init__(*args, **kwargs)
        self.collaborative = collaborative

    def validate_unique(self):
        super().validate_unique()
        code = self.cleaned_data.get("code")
        if code:
            clash = MeasureTemplate.objects.filter(collaborative=self.collaborative, code=code)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", f"The library already has a measure with the code {code}.")


class RebaseForm(forms.Form):
    period = forms.DateField(widget=forms.HiddenInput)
    reason = bounded.VisibleCharField(
        label="Why start new limits here?",
        max_length=bounded.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: the new booking process was adopted in March and the shift has held since.",
        error_messages={"required": "Say why: the record keeps it beside the chart."},
    )
