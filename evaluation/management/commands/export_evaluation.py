"""`manage.py export_evaluation --collaborative SLUG --out FILE.zip`: the evaluator package, written here and now."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from collaborative.models import Collaborative
from evaluation import package


class Command(BaseCommand):
    help = "Write the evaluator data package of a collaborative (the same zip the evaluator downloads)."

    def add_arguments(self, parser):
        parser.add_argument("--collaborative", required=True, help="The collaborative's slug.")
        parser.add_argument("--out", required=True, help="The zip file to write.")

    def handle(self, *args, collaborative: str, out: str, **options):
        found = Collaborative.objects.filter(slug=collaborative).first()
        if found is None:
            known = ", ".join(Collaborative.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"No collaborative with the slug {collaborative!r} (known: {known}).")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {out}: the folder {path.parent} does not exist.")
        partial = path.with_name(path.name + ".part")
        try:
            written = package.build(found, partial)
            partial.replace(path)  # a failed run leaves no half-written package under the asked-for name
        finally:
            partial.unlink(missing_ok=True)
        rows = sum(written.values())
        self.stdout.write(f"Wrote {out}: {len(written)} tables, {rows:,} rows, for {found.name}.")
