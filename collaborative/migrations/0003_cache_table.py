from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The embedded default caches in the database (allauth's rate limits need a
    # shared cache); createcachetable does nothing for other backends.
    if schema_editor.connection.alias == "default" and "db.DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("collaborative", "0002_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
