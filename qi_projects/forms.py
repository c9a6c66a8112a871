import csv
import io

from django import forms
from django.utils import timezone

from collaborative.forms import DateInput
from organisations import text as bounded

from . import equality
from .models import (
    CoproductionEntry,
    FocusPopulation,
    ImprovementProject,
    Kind,
    PopulationProfile,
)

MAX_UPLOAD_BYTES = 1024 * 1024


class Radios(forms.RadioSelect):
    template_name = "qi_projects/widgets/radios.html"


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in one NHS.UK details section per group; a section with a ticked box starts open."""

    template_name = "qi_projects/widgets/grouped_checkboxes.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["sections"] = [
            {"name": group, "options": options, "open": any(o["selected"] for o in options)}
            for group, options, _ in context["widget"]["optgroups"]
        ]
        return context


class ProjectForm(forms.ModelForm):
    class Meta:
        model = ImprovementProject
        fields = ["title", "aim", "target_value", "target_unit", "target_date"]
        labels = {"title": "Project title"}
        widgets = {"target_date": DateInput(), "aim": forms.Textarea(attrs={"rows": 3})}

    def clean_target_date(self):
        date = self.cleaned_data["target_date"]
        if self.instance._state.adding and date <= timezone.localdate():
            raise forms.ValidationError("The target date must be in the future.")
        return date


class FocusPopulationForm(forms.ModelForm):
    groups = forms.MultipleChoiceField(
        label="Equality groups",
        required=False,
        choices=equality.stratum_choices(),
        widget=GroupedCheckboxes,
        help_text="Tick the groups on each equality dimension. Groups on one dimension are alternatives; "
        "groups on different dimensions narrow the population (for example Black Caribbean or African "
        "and aged 18 to 24).",
    )
    reference_group = forms.ChoiceField(
        label="Reference group",
        help_text="The group the focus population is compared with, for example White British, "
        "or the least deprived quintile.",
    )

    class Meta:
        model = FocusPopulation
        fields = ["name", "groups", "local_description", "inequality", "evidence", "reference_group"]
        labels = {"name": "Name of the focus population", "local_description": "Or describe a local group"}
        help_texts = {"local_description": "A group not on the lists, for example people sleeping rough in the town."}
        widgets = {
            "inequality": Radios,
            "local_description": forms.Textarea(attrs={"rows": 2}),
            "evidence": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_group"].choices = [
            ("", "Choose a reference group"),
            (equality.REST_OF_POPULATION, equality.REST_LABEL),
            *equality.stratum_choices(),
        ]
        self.fields["inequality"].choices = FocusPopulation.Inequality.choices


def _none(model):
    """An empty queryset made at import time, outside any scope; views narrow it to the organisation."""
    return model.objects.with_scopes_disabled().none()


class ProfileForm(forms.ModelForm):
    project = forms.ModelChoiceField(queryset=_none(ImprovementProject), required=False, label="Project (optional)")

    class Meta:
        model = PopulationProfile
        fields = [
            "title",
            "project",
            "dimension",
            "population_source",
            "population_year",
            "compared",
            "caseload_source",
            "caseload_year",
        ]
        labels = {"project": "Project (optional)", "dimension": "Equality dimension"}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = ImprovementProject.objects.filter(organisation=organisation)
        self.fields["dimension"].choices = equality.dimension_choices(blank="Choose a dimension")
        for name in ("population_year", "caseload_year"):
            self.fields[name].widget.attrs.update({"min": 1991, "max": 2100, "class": "nhsuk-input--width-4"})

    def clean(self):
        cleaned = super().clean()
        this_year = timezone.localdate().year
        for name in ("population_year", "caseload_year"):
            year = cleaned.get(name)
            if year is not None and not 1991 <= year <= this_year:
                self.add_error(name, f"Enter a year between 1991 and {this_year}.")
        return cleaned


class ProfileCountsForm(forms.Form):
    """The counts of each group, typed in or uploaded as CSV (category,population,caseload)."""

    upload = forms.FileField(
        label="Or upload a CSV file",
        required=False,
        help_text="Columns category,population,caseload; category is a code such as M or 01. "
        "An upload replaces what is typed above.",
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.categories = list(profile.dimension_info.categories)
        existing = {r.category: r for r in profile.rows.all()}
        fields = {}
        for index, (code, _) in enumerate(self.categories):
            label = equality.category_label(profile.dimension, code)
            row = existing.get(code)
            fields[f"pop_{index}"] = forms.IntegerField(
                label=f"{label}: population", required=False, min_value=0, initial=row and row.population
            )
            fields[f"case_{index}"] = forms.IntegerField(
                label=f"{label}: {profile.get_compared_display().lower()}",
                required=False,
                min_value=0,
                initial=row and row.caseload,
            )
        fields["upload"] = self.fields.pop("upload")
        self.fields = fields
        for name, field in self.fields.items():
            if name != "upload":
                field.widget.attrs["class"] = "nhsuk-input--width-10"

    def rows_for_template(self):
        return [
            (equality.category_label(self.profile.dimension, code), self[f"pop_{i}"], self[f"case_{i}"])
            for i, (code, _) in enumerate(self.categories)
        ]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB.")
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Upload a CSV file (.csv).")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise forms.ValidationError("The file is not UTF-8 text.") from e
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or {"category", "population", "caseload"} - {f.strip() for f in reader.fieldnames}:
            raise forms.ValidationError("The first row must be the header category,population,caseload.")
        rows, problems = {}, []
        for line, raw in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            problem = self._row_problem(row, rows)
            if problem:
                problems.append(f"Row {line}: {problem}")
            else:
                rows[row["category"]] = (int(row["population"]), int(row["caseload"]))
        if problems:
            raise forms.ValidationError(problems)
        if not rows:
            raise forms.ValidationError("The file has no rows.")
        return rows

    def _row_problem(self, row: dict, seen: dict) -> str | None:
        code = row["category"]
        if code not in {c for c, _ in self.categories}:
            return f"{code!r} is not a category of {self.profile.dimension_info.label}."
        if code in seen:
            return f"{code} appears twice."
        try:
            if int(row["population"]) < 0 or int(row["caseload"]) < 0:
                raise ValueError
        except ValueError:
            return "population and caseload must be whole numbers, 0 or more."
        return None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rows = cleaned.get("upload")
        if rows is None:
            rows = {}
            for index, (code, _) in enumerate(self.categories):
                pop, case = cleaned.get(f"pop_{index}"), cleaned.get(f"case_{index}")
                if pop is None and case is None:
                    continue
                if pop is None or case is None:
                    self.add_error(f"pop_{index}" if pop is None else f"case_{index}", "Enter both counts, or neither.")
                    continue
                rows[code] = (pop, case)
            if self.errors:
                return cleaned
        if not rows:
            raise forms.ValidationError("Enter the counts of at least two groups.")
        if sum(p for p, _ in rows.values()) == 0:
            raise forms.ValidationError("The population counts add up to zero.")
        if sum(c for _, c in rows.values()) == 0:
            raise forms.ValidationError(f"The {self.profile.get_compared_display().lower()} counts add up to zero.")
        cleaned["rows"] = rows
        return cleaned


class VersionedForm(forms.Form):
    """Every driver-diagram edit says which version of the diagram it was made on."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AimForm(VersionedForm):
    aim = bounded.VisibleCharField(label="Aim", widget=forms.Textarea(attrs={"rows": 3}))


class ElementAddForm(VersionedForm):
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.HiddenInput)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = bounded.VisibleCharField(max_length=300)
    description = bounded.VisibleCharField(required=False, widget=forms.HiddenInput)


class ElementEditForm(VersionedForm):
    element = forms.IntegerField(widget=forms.HiddenInput)
    text = bounded.VisibleCharField(label="Text", max_length=300)
    description = bounded.VisibleCharField(
        label="Description (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ElementForm(VersionedForm):
    """Move up, move down or remove one element."""

    element = forms.IntegerField(widget=forms.HiddenInput)


class ElementMoveForm(VersionedForm):
    element = forms.IntegerField(widget=forms.HiddenInput)
    parent = forms.TypedChoiceField(coerce=int, label="Move under", empty_value=None)


class CoproductionForm(forms.ModelForm):
    project = forms.ModelChoiceField(queryset=_none(ImprovementProject), required=False, label="Project (optional)")

    class Meta:
        model = CoproductionEntry
        fields = ["date", "project", "who", "step", "level", "topic", "activity", "what_changed"]
        labels = {"project": "Project (optional)"}
        widgets = {
            "date": DateInput(),
            "step": Radios,
            "level": Radios,
            "activity": forms.Textarea(attrs={"rows": 3}),
            "what_changed": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "step": "Identify the inequality, design the changes, deliver them, or evaluate them.",
            "level": "Informed: told about it. Consulted: asked for views. Involved: took part in the work. "
            "Co-designed: designed it as equal partners. Led: people with lived experience led it.",
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = ImprovementProject.objects.filter(organisation=organisation)
        for name in ("step", "level"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["topic"].choices = [("", "Choose a topic"), *CoproductionEntry.Topic.choices]
