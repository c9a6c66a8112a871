from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION organisations_auditevent_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER organisations_auditevent_append_only
    BEFORE UPDATE OR DELETE ON organisations_auditevent
    FOR EACH ROW EXECUTE FUNCTION organisations_auditevent_forbid_change();
"""

ALLOW = """
DROP TRIGGER IF EXISTS organisations_auditevent_append_only ON organisations_auditevent;
DROP FUNCTION IF EXISTS organisations_auditevent_forbid_change();
"""


def forbid(apps, schema_editor):
    # On PostgreSQL the database itself refuses to change or delete audit rows,
    # so not even raw SQL from the application can rewrite history.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(forbid, allow)]
