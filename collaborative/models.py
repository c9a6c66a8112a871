from django.db import models
from django_scopes import ScopedManager


class Collaborative(models.Model):
    """One run (wave) of the programme."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    start_date = models.DateField()
    local_design_months = models.PositiveSmallIntegerField(default=6)
    testing_months = models.PositiveSmallIntegerField(default=24)
    sustaining_months = models.PositiveSmallIntegerField(default=6)
    annual_fee_pence = models.PositiveIntegerField(default=15_000_00, help_text="Net of VAT, in pence.")
    fee_years = models.PositiveSmallIntegerField(default=3)
    vat_rate_basis_points = models.PositiveIntegerField(default=2000, help_text="20% is 2000.")

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """An organisation taking part in a collaborative."""

    collaborative = models.ForeignKey(Collaborative, on_delete=models.CASCADE, related_name="enrolments")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="enrolments")
    start_date = models.DateField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collaborative", "organisation"],
                condition=models.Q(active=True),
                name="one_active_enrolment_per_collaborative",
            )
        ]
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.collaborative}"
