"""Kafka authentication from settings: SCRAM on the local broker, SCRAM over TLS on a cluster, the
same for FastStream's subscribers and the producer, start-up and admin clients."""

import ssl

import pytest
from pydantic import ValidationError

from hubnet_common.ops.local.credentials import ensure_password, logged_in
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.service.kafka_security import broker_security, client_security
from hubnet_common.service.runtime import build_app
from hubnet_common.service.settings import Settings
from hubnet_referrals import bootstrap as referrals

ON_A_CLUSTER = dict(kafka_security_protocol="SASL_SSL", kafka_sasl_username="referrals", kafka_sasl_password="s3cret")


def test_the_local_broker_is_reached_without_authentication():
    assert client_security(Settings()) == {"security_protocol": "PLAINTEXT"}
    assert broker_security(Settings()) is None


def test_on_a_cluster_every_client_logs_in_with_scram_over_tls():
    settings = Settings(**ON_A_CLUSTER)
    args = client_security(settings)
    assert (args["security_protocol"], args["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (args["sasl_plain_username"], args["sasl_plain_password"]) == ("referrals", "s3cret")
    assert isinstance(args["ssl_context"], ssl.SSLContext) and args["ssl_context"].verify_mode == ssl.CERT_REQUIRED

    app, _ = build_app(referrals.spec(), settings)
    [broker] = app.streams.brokers
    subscribers = broker._connection_kwargs  # what FastStream hands to its consumers
    assert (subscribers["security_protocol"], subscribers["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert subscribers["sasl_plain_username"] == "referrals"


def test_sasl_without_credentials_is_refused_at_start_naming_what_is_missing():
    with pytest.raises(ValidationError, match="HUBNET_KAFKA_SASL_USERNAME"):
        Settings(kafka_security_protocol="SASL_SSL")


def test_the_password_does_not_show_in_the_settings_as_logged():
    assert "s3cret" not in repr(Settings(**ON_A_CLUSTER)) and "s3cret" not in str(Settings(**ON_A_CLUSTER))


async def test_a_partner_system_logs_in_with_its_own_user():
    client = LocalPartnerClient(
        "127.0.0.1:1",
        "brg",
        topic_prefix="",
        **client_security(
            Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="partner-brg", kafka_sasl_password="pw")
        ),
    )
    for kafka in (client.producer.client, client.replies._client):
        assert (kafka._security_protocol, kafka._sasl_mechanism, kafka._sasl_plain_username) == (
            "SASL_SSL",
            "SCRAM-SHA-512",
            "partner-brg",
        )


def test_a_deployment_keeps_its_own_login_and_reads_no_local_files(monkeypatch):
    monkeypatch.delenv("HUBNET_LOCAL_KAFKA_USERS", raising=False)
    settings = Settings(**ON_A_CLUSTER)
    assert logged_in("hubnet-referrals", settings) is settings


async def test_on_a_machine_with_local_users_a_tool_logs_in_as_the_user_it_acts_for(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBNET_LOCAL_KAFKA_USERS", str(tmp_path))
    assert ensure_password(tmp_path, "partner-brg") and not ensure_password(tmp_path, "partner-brg")  # made once
    assert (tmp_path / "partner-brg").stat().st_mode & 0o777 == 0o600
    client = LocalPartnerClient("127.0.0.1:1", "brg", topic_prefix="")
    assert (client.producer.client._security_protocol, client.producer.client._sasl_plain_username) == (
        "SASL_PLAINTEXT",
        "partner-brg",
    )
    assert client.producer.client._sasl_plain_password == (tmp_path / "partner-brg").read_text()
