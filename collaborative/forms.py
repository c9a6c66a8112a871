from django.forms.renderers import TemplatesSetting


class NHSFormRenderer(TemplatesSetting):
    """Render every form and field with NHS.UK frontend markup (templates/forms/)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
