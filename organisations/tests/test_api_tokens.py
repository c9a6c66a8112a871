from django.urls import reverse
from django_scopes import scopes_disabled

from organisations.models import ApiToken, AuditEvent


def test_lead_creates_a_token_shown_once_and_stored_hashed(client, cast, login):
    login(client, cast.lead)
    url = reverse("organisations:api_tokens", kwargs={"org": "alpha"})
    response = client.post(url, {"name": "Warehouse"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("amhe_") and secret in response.content.decode()
    with scopes_disabled():
        token = ApiToken.objects.get(name="Warehouse")
    assert secret.split("_", 2)[2] not in token.secret_hash
    assert ApiToken.authenticate(secret) == token
    assert secret not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="create", object_type="organisations.ApiToken").exists()


def test_revoked_or_altered_tokens_do_not_authenticate(client, cast, login):
    token, secret = ApiToken.issue(organisation=cast.org_a, name="Warehouse", created_by=cast.lead)
    assert ApiToken.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert ApiToken.authenticate("nonsense") is None
    login(client, cast.lead)
    client.post(reverse("organisations:api_token_revoke", kwargs={"org": "alpha", "pk": token.pk}))
    assert ApiToken.authenticate(secret) is None


def test_a_token_name_is_required(client, cast, login):
    login(client, cast.lead)
    response = client.post(reverse("organisations:api_tokens", kwargs={"org": "alpha"}), {"name": ""})
    assert response.status_code == 422
    with scopes_disabled():
        assert not ApiToken.objects.exists()
