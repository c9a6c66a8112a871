"""Attendance, feedback once per person and its results; materials checked on upload and always downloaded."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import sign_in
from learning_sets.models import Feedback, Material, Refused
from organisations.models import Notification

from . import factories

ANSWERS = {"usefulness": "4", "helped": "Small groups", "did_not_help": "Too long", "change": "Shorter talks"}


@pytest.fixture
def happened(cast):
    ls = factories.past_set(cast.collaborative)
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    return ls


def test_recording_attendance_asks_those_who_came_for_feedback_once(
    client, cast, happened, django_capture_on_commit_callbacks
):
    lead_reg = happened.registrations.get(user=cast.lead)
    sign_in(client, cast.national)
    url = reverse("learning_sets:attendance", args=[happened.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"present": [lead_reg.pk, "junk"]}).status_code == 302
        client.post(url, {"present": [lead_reg.pk]})  # saved again: nobody is asked twice
    attended = dict(happened.registrations.values_list("user__email", "attended"))
    assert attended == {"lead@a.example": True, "member@a.example": False}
    assert [m.to for m in mail.outbox] == [["lead@a.example"]]
    assert "How was" in mail.outbox[0].subject
    assert Notification.objects.filter(recipient=cast.lead, kind="learning_set_feedback").count() == 1


def test_attendance_waits_for_the_set_to_start(client, cast):
    ls = factories.learning_set(cast.collaborative)
    sign_in(client, cast.national)
    response = client.post(reverse("learning_sets:attendance", args=[ls.pk]), {"present": []})
    assert response.status_code == 422
    assert "once the learning set has started" in response.content.decode()


def test_feedback_once_per_person(client, cast, happened):
    sign_in(client, cast.lead)
    url = reverse("learning_sets:feedback", args=[happened.pk])
    assert client.post(url, ANSWERS).status_code == 302
    again = client.post(url, ANSWERS | {"usefulness": "1"})
    assert again.status_code == 422
    assert "already given feedback" in again.content.decode()
    assert list(Feedback.objects.values_list("usefulness", flat=True)) == [4]
    with pytest.raises(Refused):
        happened.give_feedback(cast.lead, usefulness=2)


@pytest.mark.parametrize("who", ["other_lead", "sponsor"])
def test_feedback_is_for_people_who_came(client, cast, happened, who):
    sign_in(client, getattr(cast, who))
    response = client.post(reverse("learning_sets:feedback", args=[happened.pk]), ANSWERS)
    assert response.status_code == 422
    assert "the people who came" in response.content.decode()
    assert not Feedback.objects.exists()


def test_someone_marked_absent_is_not_asked(client, cast, happened):
    happened.registrations.filter(user=cast.member).update(attended=False)
    assert "the people who came" in happened.feedback_refusal(cast.member)


def test_no_feedback_before_the_set_ends(cast):
    ls = factories.learning_set(cast.collaborative)
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    assert ls.feedback_refusal(cast.lead) == "You can give feedback once the learning set has finished."


@pytest.mark.parametrize("bad", [{"usefulness": "6"}, {"usefulness": "0"}, {"usefulness": ""}, {"helped": "x" * 2001}])
def test_bad_answers_are_refused(client, cast, happened, bad):
    sign_in(client, cast.lead)
    assert client.post(reverse("learning_sets:feedback", args=[happened.pk]), ANSWERS | bad).status_code == 422
    assert not Feedback.objects.exists()


def test_results_per_set_and_over_time_without_names(client, cast, happened):
    happened.give_feedback(cast.lead, usefulness=5, helped="The SPC session")
    happened.give_feedback(cast.member, usefulness=3, did_not_help="The room")
    second = factories.learning_set(cast.collaborative, days=-100, title="Earlier set")
    factories.registration(second, cast.lead, organisation=cast.org_a)
    second.give_feedback(cast.lead, usefulness=2)
    for who in (cast.national, cast.evaluator):
        sign_in(client, who)
        response = client.get(reverse("learning_sets:feedback_results"))
        sets = {s.title: s for s in response.context["sets"]}
        assert sets["Spring learning set"].responses == 2 and sets["Spring learning set"].mean == 4
        assert sets["Spring learning set"].scores == [1, 0, 1, 0, 0]
        assert sets["Earlier set"].mean == 2
        page = response.content.decode()
        assert "The SPC session" in page and "lead@a.example" not in page
        assert response.context["figure"]["data"][0]["y"] == [2, 4]


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_presenters_and_the_national_team_upload_and_members_download_afterwards(client, cast):
    ls = factories.learning_set(cast.collaborative)
    factories.presenting(ls, cast.org_a)
    sign_in(client, cast.member)  # Alpha presents: its team are presenters
    response = client.post(
        reverse("learning_sets:material_upload", args=[ls.pk]),
        {"title": "Our slides", "file": upload("slides.png", factories.PNG, "image/png")},
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.kind, material.name) == ("png", "slides.png")
    download = reverse("learning_sets:material_download", args=[material.pk])
    sign_in(client, cast.other_lead)
    assert client.get(download).status_code == 404  # shared once the set starts
    ls.starts_at, ls.ends_at = (
        ls.starts_at.replace(year=ls.starts_at.year - 1),
        ls.ends_at.replace(year=ls.ends_at.year - 1),
    )
    ls.save()
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == factories.PNG


def test_a_non_presenter_cannot_upload(client, cast):
    ls = factories.learning_set(cast.collaborative)
    sign_in(client, cast.lead)
    response = client.post(
        reverse("learning_sets:material_upload", args=[ls.pk]),
        {"title": "Slides", "file": upload("slides.png", factories.PNG)},
    )
    assert response.status_code == 403
    assert not Material.objects.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("slides.png", b"MZ\x90\x00 an executable", "is not a file we can keep"),
        ("slides.pdf", factories.PNG, "does not contain what its name says"),
        ("empty.txt", b"", "The submitted file is empty"),
    ],
)
def test_bad_files_are_refused(client, cast, name, content, message):
    ls = factories.learning_set(cast.collaborative)
    sign_in(client, cast.national)
    response = client.post(
        reverse("learning_sets:material_upload", args=[ls.pk]), {"title": "Slides", "file": upload(name, content)}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Material.objects.exists()


def test_pre_reading_is_shared_before_the_set(client, cast):
    ls = factories.learning_set(cast.collaborative)
    material = factories.material(ls, share_before=True)
    sign_in(client, cast.lead)
    assert client.get(reverse("learning_sets:material_download", args=[material.pk])).status_code == 200
    assert "Slides" in client.get(reverse("learning_sets:detail", args=[ls.pk])).content.decode()
