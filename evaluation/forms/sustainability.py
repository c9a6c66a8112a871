"""Forms of the sustainability pages: the self-assessment (one NHS.UK radios fieldset a factor), the plan,
the reflections."""

from __future__ import annotations

from django import forms

from measures.models import Measure
from organisations import text as bounded
from organisations.widgets import DateInput

from .. import sustainability_model as model
from ..models import SustainabilityPlan


class AssessmentForm(forms.Form):
    """Every factor optional: a submission with factors missing is kept as a draft, not refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for factor in model.FACTORS:
            self.fields[factor.key] = forms.ChoiceField(
                label=factor.title,
                help_text=factor.question,
                choices=factor.choices(),
                widget=forms.RadioSelect,
                required=False,
            )
        self.fields["notes"] = bounded.VisibleCharField(
            label="Notes on how you scored (optional)",
            help_text="Who took part, and anything you disagreed about.",
            max_length=bounded.NOTE,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
        )

    def groups(self) -> list[tuple[str, list]]:
        """(group name, its factors' bound fields), in the model's order, for the page's headings."""
        return [
            (name, [self[f.key] for f in model.FACTORS if f.group == group]) for group, name in model.GROUPS.items()
        ]

    def answers(self) -> dict[str, str]:
        return {f.key: self.cleaned_data.get(f.key) or "" for f in model.FACTORS}


class PlanForm(forms.ModelForm):
    """The plan, plus how each kept change idea is embedded and who owns it (`embed_<id>`, `owner_<id>`)."""

    watched_measures = forms.ModelMultipleChoiceField(
        queryset=Measure.objects.none(),
        label="Measures that keep being watched",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SustainabilityPlan
        fields = ["owners", "watched_measures", "watchers", "handover_to", "handover_from"]
        widgets = {"handover_from": DateInput}

    def __init__(self, *args, measures, ideas, changes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["watched_measures"].queryset = measures
        self.fields["watched_measures"].label_from_instance = lambda m: f"{m.code}: {m.name}"
        self.fields["handover_from"].help_text = "For example, 1 4 2027"
        self.fields["handover_from"].error_messages["invalid"] = "Enter a real date, for example 1 4 2027."
        self.ideas = list(ideas)
        for idea in self.ideas:
            change = changes.get(idea.pk)
            self.fields[f"embed_{idea.pk}"] = bounded.VisibleCharField(
                label="How it is embedded in routine work",
                help_text="For example a standard operating procedure, a template in the record, induction training.",
                max_length=bounded.NOTE,
                required=False,
                initial=change.embedding if change else "",
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"owner_{idea.pk}"] = bounded.VisibleCharField(
                label="Owner",
                max_length=200,
                required=False,
                initial=change.owner if change else "",
            )

    def idea_fields(self) -> list[tuple[object, object, object]]:
        return [(idea, self[f"embed_{idea.pk}"], self[f"owner_{idea.pk}"]) for idea in self.ideas]

    def plan_fields(self) -> list:
        return [self[name] for name in self.Meta.fields]

    def change_values(self) -> dict[int, tuple[str, str]]:
        return {
            idea.pk: (self.cleaned_data[f"embed_{idea.pk}"] or "", self.cleaned_data[f"owner_{idea.pk}"] or "")
            for idea in self.ideas
        }


class ReflectionsForm(forms.ModelForm):
    class Meta:
        model = SustainabilityPlan
        fields = ["reflections"]
        widgets = {"reflections": forms.Textarea(attrs={"rows": 10})}
