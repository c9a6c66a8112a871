"""Access-matrix rows for learning sets (collected by tests/test_access_matrix.py).

Every role but the evaluator takes part in learning sets (DESIGN.md section 5);
"other_lead" leads organisation B, enrolled in the same collaborative, so they
take part too. The national team schedules, reviews and curates.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.access import SEES_WORKSPACE, TEAM, Page

from . import factories

MEMBERS = TEAM | {"national", "coach", "expert", "other_lead"}
NATIONAL = {"national"}
WRITERS = {"lead", "member", "data_champion", "national"}  # submit a case study for the organisation


def _set(cast, org):
    return {"pk": factories.learning_set(cast.collaborative).pk}


def _draft(cast, org):
    return {"pk": factories.learning_set(cast.collaborative, status="draft").pk}


def _past(cast, org):
    return {"pk": factories.past_set(cast.collaborative).pk}


def _presented_by_a(cast, org):
    learning_set = factories.learning_set(cast.collaborative)
    factories.presenting(learning_set, cast.org_a)
    return {"pk": learning_set.pk}


def _material(cast, org):
    return {"pk": factories.material(factories.past_set(cast.collaborative)).pk}


def _upload(cast, org):
    return {"title": "Our slides", "file": SimpleUploadedFile("slides.png", factories.PNG, content_type="image/png")}


def _case_study(status):
    def kwargs(cast, org):
        return {"pk": factories.case_study(org or cast.org_a, cast.collaborative, status=status).pk}

    return kwargs


SITE_PAGES = {
    "learning_sets:list": (200, MEMBERS),
    "learning_sets:create": (200, NATIONAL),
    "learning_sets:schedule_year": (200, NATIONAL),
    "learning_sets:feedback_results": (200, {"national", "evaluator"}),
    "learning_sets:newsletter_list": (200, MEMBERS),
    "learning_sets:newsletter_create": (200, NATIONAL),
    "learning_sets:gallery": (200, MEMBERS),
    "learning_sets:review_queue": (200, NATIONAL),
    "learning_sets:communications_export": (200, NATIONAL),
    "learning_sets:resource_list": (200, MEMBERS),
    "learning_sets:resource_create": (200, NATIONAL),
}

SITE_OBJECT_PAGES = {
    "learning_sets:detail": Page(MEMBERS, kwargs=_set),
    "learning_sets:edit": Page(NATIONAL, kwargs=_set),
    "learning_sets:agenda": Page(NATIONAL, kwargs=_set),
    "learning_sets:reschedule": Page(NATIONAL, kwargs=_set),
    "learning_sets:cancel": Page(NATIONAL, kwargs=_set),
    "learning_sets:publish": Page(NATIONAL, kwargs=_draft, method="post"),
    "learning_sets:register": Page(MEMBERS, kwargs=_set, method="post"),
    "learning_sets:withdraw": Page(MEMBERS, kwargs=_set, method="post"),
    "learning_sets:calendar": Page(MEMBERS, kwargs=_set),
    "learning_sets:registrations": Page(NATIONAL, kwargs=_set),
    "learning_sets:registrations_export": Page(NATIONAL, kwargs=_set),
    "learning_sets:attendance": Page(NATIONAL, kwargs=_past),
    # Presenters (the team of an organisation presenting a session) and the national team add materials.
    "learning_sets:material_upload": Page(TEAM | NATIONAL, kwargs=_presented_by_a, method="post", data=_upload),
    "learning_sets:material_download": Page(MEMBERS, kwargs=_material),
    "learning_sets:feedback": Page(MEMBERS, kwargs=_past),
    "learning_sets:feed_revoke": Page(MEMBERS, method="post"),
    "learning_sets:feed_renew": Page(MEMBERS, method="post"),
    "learning_sets:newsletter_detail": Page(
        MEMBERS, kwargs=lambda c, o: {"pk": factories.newsletter(c.collaborative, status="sent").pk}
    ),
    "learning_sets:newsletter_edit": Page(
        NATIONAL, kwargs=lambda c, o: {"pk": factories.newsletter(c.collaborative).pk}
    ),
    "learning_sets:newsletter_send": Page(
        NATIONAL, kwargs=lambda c, o: {"pk": factories.newsletter(c.collaborative).pk}, method="post"
    ),
    "learning_sets:newsletter_preferences": Page(MEMBERS, method="post", data=lambda c, o: {"newsletters": "no"}),
    "learning_sets:gallery_detail": Page(MEMBERS, kwargs=_case_study("approved")),
    "learning_sets:resource_edit": Page(NATIONAL, kwargs=lambda c, o: {"pk": factories.resource(c.collaborative).pk}),
    "learning_sets:resource_download": Page(
        MEMBERS, kwargs=lambda c, o: {"pk": factories.resource(c.collaborative, document=True).pk}
    ),
}

ORG_PAGES = {
    "learning_sets:case_study_list": Page(SEES_WORKSPACE),
    "learning_sets:case_study_create": Page(WRITERS),
    "learning_sets:case_study_detail": Page(SEES_WORKSPACE, kwargs=_case_study("draft")),
    "learning_sets:case_study_edit": Page(WRITERS, kwargs=_case_study("draft")),
    "learning_sets:case_study_submit": Page(WRITERS, kwargs=_case_study("draft"), method="post"),
    "learning_sets:case_study_review": Page(NATIONAL, kwargs=_case_study("submitted")),
}

# Token pages, tested in test_calendar.py and test_newsletters.py (no sign-in; a bad token is 404 or 400).
TOKEN_PAGES = {"learning_sets:calendar_feed", "learning_sets:unsubscribe"}
