"""Local tools find the Keycloak that `make up` started, on whatever port it has (INFRA_KEYCLOAK_PORT)."""

from hubnet_common.ops.local.keycloak_realm import keycloak_url


def test_the_admin_api_is_on_the_issuers_server_when_no_url_is_given(monkeypatch):
    monkeypatch.delenv("HUBNET_OIDC_URL", raising=False)
    monkeypatch.setenv("HUBNET_OIDC_ISSUER", "http://127.0.0.1:28080/realms/hubnet")
    assert keycloak_url() == "http://127.0.0.1:28080"


def test_a_given_url_counts_over_the_issuer(monkeypatch):
    monkeypatch.setenv("HUBNET_OIDC_URL", "http://127.0.0.1:38080")
    monkeypatch.setenv("HUBNET_OIDC_ISSUER", "http://127.0.0.1:28080/realms/hubnet")
    assert keycloak_url() == "http://127.0.0.1:38080"
