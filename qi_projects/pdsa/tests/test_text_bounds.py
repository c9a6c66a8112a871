"""Every free text is bounded, and text made only of invisible characters counts as empty."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from organisations.text import COMMENT, LONG, is_visible
from qi_projects.pdsa.models import Comment, PdsaCycle

from . import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def url(name, **kwargs):
    return reverse(f"pdsa:{name}", kwargs={"org": "alpha", **kwargs})


def test_a_comment_over_the_limit_gets_the_message_and_nothing_is_saved(client, cast, login):
    cycle = factories.cycle(cast.org_a)
    login(client, cast.coach)
    body = "x" * (COMMENT + 1)
    response = client.post(url("pdsa_comment", pk=cycle.pk), {"body": body})
    assert response.status_code == 422
    assert f"Ensure this value has at most {COMMENT} characters (it has {COMMENT + 1})" in response.content.decode()
    with scopes_disabled():
        assert Comment.objects.count() == 0


def test_a_ten_megabyte_comment_is_refused_not_served_to_the_team(client, cast, login):
    cycle = factories.cycle(cast.org_a)
    login(client, cast.coach)
    response = client.post(url("pdsa_comment", pk=cycle.pk), {"body": "y" * 10_000_000})
    assert response.status_code in (413, 422)
    with scopes_disabled():
        assert Comment.objects.count() == 0


@pytest.mark.parametrize("invisible", ["\u200b\u200b", "\ufeff", " \u00a0\u2060 ", "\u200d\n\u200c"])
def test_a_comment_of_only_invisible_characters_counts_as_empty(client, cast, login, invisible):
    assert not is_visible(invisible)
    cycle = factories.cycle(cast.org_a)
    login(client, cast.coach)
    response = client.post(url("pdsa_comment", pk=cycle.pk), {"body": invisible})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    with scopes_disabled():
        assert Comment.objects.count() == 0


def test_visible_text_with_a_zero_width_joiner_is_kept():
    assert is_visible("👩\u200d⚕️ nurse-led")
    assert is_visible("ا")


def test_a_pdsa_field_over_the_limit_gets_the_message_and_changes_nothing(client, cast, login):
    cycle = factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        url("pdsa_do", pk=cycle.pk),
        {
            "actual_start": (TODAY - timedelta(days=9)).isoformat(),
            "actual_end": (TODAY - timedelta(days=2)).isoformat(),
            "what_happened": "z" * (LONG + 1),
        },
    )
    assert response.status_code == 422
    assert f"at most {LONG} characters" in response.content.decode()
    with scopes_disabled():
        cycle = PdsaCycle.objects.get(pk=cycle.pk)
    assert (cycle.status, cycle.what_happened) == ("planned", "")


def test_the_model_refuses_over_long_text_too(cast):
    with scopes_disabled():
        comment = Comment(organisation=cast.org_a, author=cast.coach, body="x" * (COMMENT + 1))
        with pytest.raises(ValidationError) as error:
            comment.full_clean()
    assert "body" in error.value.message_dict
