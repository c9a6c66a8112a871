from django.urls import path

from . import views, views_shared

app_name = "learning_sets"

one = "learning-sets/<int:pk>/"
case_study = "orgs/<slug:org>/case-studies/<int:pk>/"

urlpatterns = [
    # Learning sets
    path("learning-sets/", views.learning_set_list, name="list"),
    path("learning-sets/new/", views.learning_set_create, name="create"),
    path("learning-sets/schedule/", views.schedule_year, name="schedule_year"),
    path(one, views.learning_set_detail, name="detail"),
    path(one + "edit/", views.learning_set_edit, name="edit"),
    path(one + "agenda/", views.agenda_edit, name="agenda"),
    path(one + "publish/", views.learning_set_publish, name="publish"),
    path(one + "reschedule/", views.learning_set_reschedule, name="reschedule"),
    path(one + "cancel/", views.learning_set_cancel, name="cancel"),
    path(one + "register/", views.register, name="register"),
    path(one + "withdraw/", views.withdraw, name="withdraw"),
    path(one + "calendar.ics", views.learning_set_calendar, name="calendar"),
    path(one + "registrations/", views.registrations, name="registrations"),
    path(one + "registrations.csv", views.registrations_export, name="registrations_export"),
    path(one + "attendance/", views.attendance, name="attendance"),
    path(one + "materials/", views.material_upload, name="material_upload"),
    path("learning-sets/materials/<int:pk>/", views.material_download, name="material_download"),
    path(one + "feedback/", views.feedback, name="feedback"),
    path("learning-sets/feedback/", views.feedback_results, name="feedback_results"),
    # The private calendar feed
    path("learning-sets/calendar/revoke/", views.feed_revoke, name="feed_revoke"),
    path("learning-sets/calendar/renew/", views.feed_renew, name="feed_renew"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    # Newsletters
    path("learning-sets/newsletters/", views_shared.newsletter_list, name="newsletter_list"),
    path("learning-sets/newsletters/new/", views_shared.newsletter_create, name="newsletter_create"),
    path("learning-sets/newsletters/<int:pk>/", views_shared.newsletter_detail, name="newsletter_detail"),
    path("learning-sets/newsletters/<int:pk>/edit/", views_shared.newsletter_edit, name="newsletter_edit"),
    path("learning-sets/newsletters/<int:pk>/send/", views_shared.newsletter_send, name="newsletter_send"),
    path("learning-sets/newsletters/preferences/", views_shared.newsletter_preferences, name="newsletter_preferences"),
    path("newsletters/unsubscribe/<str:token>/", views_shared.unsubscribe, name="unsubscribe"),
    # Case studies: an organisation's own, the gallery, the national team's review
    path("orgs/<slug:org>/case-studies/", views_shared.case_study_list, name="case_study_list"),
    path("orgs/<slug:org>/case-studies/new/", views_shared.case_study_create, name="case_study_create"),
    path(case_study, views_shared.case_study_detail, name="case_study_detail"),
    path(case_study + "edit/", views_shared.case_study_edit, name="case_study_edit"),
    path(case_study + "submit/", views_shared.case_study_submit, name="case_study_submit"),
    path(case_study + "review/", views_shared.case_study_review, name="case_study_review"),
    path("learning-sets/case-studies/", views_shared.gallery, name="gallery"),
    path("learning-sets/case-studies/<int:pk>/", views_shared.gallery_detail, name="gallery_detail"),
    path("learning-sets/case-studies/review/", views_shared.review_queue, name="review_queue"),
    path(
        "learning-sets/case-studies/communications.csv",
        views_shared.communications_export,
        name="communications_export",
    ),
    # The resource library
    path("learning-sets/resources/", views_shared.resource_list, name="resource_list"),
    path("learning-sets/resources/new/", views_shared.resource_create, name="resource_create"),
    path("learning-sets/resources/<int:pk>/edit/", views_shared.resource_edit, name="resource_edit"),
    path("learning-sets/resources/<int:pk>/download/", views_shared.resource_download, name="resource_download"),
]
