from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from measures.importing import LIMITS, FileRefused, import_file
from organisations.audit import record
from organisations.models import AuditEvent, Organisation


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file of measure data for one organisation: all rows or none. "
        f"A file can be {LIMITS}. The first 200 problems are listed and the rest counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="The organisation's slug.")
        parser.add_argument("file", help="Path to a .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, change nothing.")

    def handle(self, *args, organisation, file, dry_run=False, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {organisation!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        with scope(organisation=[org.pk]):
            try:
                result, summary = import_file(
                    org, path.name, path.read_bytes(), by=None, source="command", dry_run=dry_run
                )
            except FileRefused as refused:
                raise CommandError(str(refused)) from refused
            if summary is None:
                for error in result.errors:
                    self.stderr.write(str(error))
                if result.unlisted:
                    self.stderr.write(f"and {result.unlisted:,} more problems")
                raise CommandError(f"{result.error_count:,} problems found: nothing was imported.")
            if not dry_run:
                record(
                    AuditEvent.Action.CREATE,
                    organisation=org,
                    summary=f"Imported {path.name} from the command line: {summary.created} new, "
                    f"{summary.updated} changed, {summary.unchanged} unchanged",
                )
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {summary.total} rows: {summary.created} new, {summary.updated} changed, "
            f"{summary.unchanged} unchanged."
        )
