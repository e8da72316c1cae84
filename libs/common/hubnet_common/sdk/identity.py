"""Who is who: a partner id or service name, its `ce_source`, its key file name."""

from __future__ import annotations

from hubnet_common.sdk.keys import KeyInvalid


def partner_source(partner_id: str) -> str:
    return f"urn:hubnet:partner:{partner_id}"


def service_source(name: str) -> str:
    return f"urn:hubnet:service:{name}"


def partner_of(source: str) -> str | None:
    """The partner id a `ce_source` names, or None when it is not a partner."""
    prefix = "urn:hubnet:partner:"
    return source[len(prefix) :] if source.startswith(prefix) and len(source) > len(prefix) else None


def owner_name(source: str) -> str:
    """The key file name of a `ce_source`: `partner-<id>` or `service-<name>`."""
    for prefix, kind in (("urn:hubnet:partner:", "partner"), ("urn:hubnet:service:", "service")):
        if source.startswith(prefix):
            return f"{kind}-{source[len(prefix) :]}"
    raise ValueError(f"{source!r} is neither a partner nor a hubnet service")


def owner_source(name: str) -> str:
    """The `ce_source` a key file name stands for (the inverse of `owner_name`)."""
    kind, _, id_ = name.partition("-")
    if kind == "partner" and id_:
        return partner_source(id_)
    if kind == "service" and id_:
        return service_source(id_)
    raise KeyInvalid(f"a key name is partner-<id> or service-<name>, not {name!r}")
