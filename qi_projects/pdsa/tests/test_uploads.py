"""Attachments: checked by content, 10 MB at most, downloaded as attachments only."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from qi_projects.pdsa import uploads
from qi_projects.pdsa.models import PdsaAttachment

from . import factories as pdsa_factories

PNG = pdsa_factories.PNG
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 30
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 40


def office(main_type: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/x" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DOCX = office("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSX = office("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("board.png", PNG, "png"),
        ("photo.JPG", JPEG, "jpeg"),
        ("notes.pdf", PDF, "pdf"),
        ("plan.docx", DOCX, "docx"),
        ("tally.xlsx", XLSX, "xlsx"),
        ("counts.csv", "period,count\n2026-01,4\nCafé,3\n".encode(), "text"),
    ],
)
def test_allowed_files_are_recognised_by_their_content(name, data, kind):
    assert uploads.check(name, len(data), data).kind == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("board.png", EXE, "not a file we can keep"),
        ("board.png", ELF, "not a file we can keep"),
        ("run.exe", EXE, "not a file we can keep"),
        ("board.png", PDF, "does not contain what its name says"),
        ("plan.docx", XLSX, "does not contain what its name says"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 30, "not a file we can keep"),
        ("binary.txt", b"abc\x00def", "not a file we can keep"),
        ("latin1.csv", "Caf\xe9".encode("latin-1"), "not a file we can keep"),
        ("empty.png", b"", "empty"),
    ],
)
def test_disguised_and_unknown_files_are_refused(name, data, message):
    with pytest.raises(uploads.Refused, match=message):
        uploads.check(name, len(data), data)


def test_oversized_files_are_refused_before_anything_else():
    with pytest.raises(uploads.Refused, match="10 MB at most"):
        uploads.check("huge.png", uploads.MAX_BYTES + 1, PNG)


def _upload(client, cycle, name, data, content_type="image/png"):
    return client.post(
        reverse("pdsa:attachment_upload", kwargs={"org": "alpha", "pk": cycle.pk}),
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def count():
    with scopes_disabled():
        return PdsaAttachment.objects.count()


@pytest.mark.django_db
def test_lead_attaches_a_photo_and_it_downloads_as_an_attachment_only(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = _upload(client, cycle, "whiteboard.png", PNG)
    assert response.status_code == 302
    with scopes_disabled():
        attachment = PdsaAttachment.objects.get()
    assert attachment.file.name.startswith(f"pdsa/{cast.org_a.pk}/{cycle.pk}/")
    assert "whiteboard" not in attachment.file.name
    detail = client.get(reverse("pdsa:pdsa_detail", kwargs={"org": "alpha", "pk": cycle.pk})).content.decode()
    assert "/media/" not in detail
    response = client.get(reverse("pdsa:attachment_download", kwargs={"org": "alpha", "pk": attachment.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="whiteboard.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.django_db
def test_an_executable_renamed_png_is_refused_and_nothing_is_kept(client, cast, login, settings):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = _upload(client, cycle, "board.png", EXE)
    assert response.status_code == 422
    assert "not a file we can keep" in response.content.decode()
    assert count() == 0
    assert not (settings.MEDIA_ROOT / "pdsa").exists()


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_with_its_size(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = _upload(client, cycle, "big.png", PNG + b"\x00" * (10 * 1024 * 1024))
    assert response.status_code == 422
    assert "10 MB at most" in response.content.decode()
    assert count() == 0


@pytest.mark.django_db
def test_another_organisations_attachment_is_not_found(client, cast, login):
    attachment = pdsa_factories.attachment(cast.org_b)
    login(client, cast.lead)
    response = client.get(reverse("pdsa:attachment_download", kwargs={"org": "alpha", "pk": attachment.pk}))
    assert response.status_code == 404
