"""How a service's Kafka clients authenticate: not at all on the local broker, with SASL (SCRAM)
over TLS on a cluster (docs/security.md, "Kafka"). The one place that turns the settings into aiokafka's client
arguments and FastStream's broker security."""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from hubnet_common.service.settings import Settings

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def _tls(settings: Settings) -> ssl.SSLContext | None:
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile)


def client_security(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    args: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if (context := _tls(settings)) is not None:
        args["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        username, password = _login(settings)
        args |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    return args


def broker_security(settings: Settings) -> BaseSecurity | None:
    """The `security` of FastStream's KafkaBroker."""
    context = _tls(settings)
    if settings.kafka_security_protocol.startswith("SASL"):
        return _SASL[settings.kafka_sasl_mechanism](
            *_login(settings),
            ssl_context=context,
            use_ssl=context is not None,
        )
    return BaseSecurity(ssl_context=context) if context is not None else None


def _login(settings: Settings) -> tuple[str, str]:
    """The SASL user and password; Settings refuses SASL without both."""
    if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
        raise ValueError("SASL needs HUBNET_KAFKA_SASL_USERNAME and HUBNET_KAFKA_SASL_PASSWORD")
    return settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()
