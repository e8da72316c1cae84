"""Who logs in to hubnet, as data: the `hubnet` realm of the identity provider (Keycloak), made from
the partners (`ops/partners.py`) and the staff seed (the notifications service's `seed/staff.json`).

- Each **partner** is a group of the realm, and has a confidential client `partner-<id>` for its
  system (OAuth 2.0 client credentials) and a public client `portal-<id>` for the staff portal
  (authorization code with PKCE).
- Each **staff member** is a user: their partner, hubs and language as attributes, their roles as
  realm roles.
- The **operators** have a client `hubnet-operator` (the `hubnet` command line's dead-letter
  tools) and a user `operator`; Prometheus has the client `hubnet-monitoring`.

Every token of these clients carries the claims the services read (docs/adr/0013-identities.md):
`partner`, `staff_id` (users only), `roles`, `hubs`, `locale`, and an audience per service.
The local stack applies this with `ops/local/keycloak_realm.py`; `deploy/k8s/generate.py` renders
it as a `KeycloakRealmImport`. Adding a staff member or a partner changes the data, not this code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from hubnet_common.ops.partners import deployment_partners
from hubnet_common.service.auth import MONITORING, OPERATOR, PARTNER_SYSTEM

REALM = "hubnet"
SERVICE_AUDIENCES = ("hubnet-referrals", "hubnet-events", "hubnet-notifications")
OPERATOR_CLIENT, MONITORING_CLIENT = "hubnet-operator", "hubnet-monitoring"
ACCESS_TOKEN_SECONDS = 300
# Tokens carry what the services read and nothing more: no e-mail address, no name.
_MINIMAL_SCOPES: dict[str, Any] = {"defaultClientScopes": ["basic", "acr", "web-origins"], "optionalClientScopes": []}
# What a staff member's account carries beyond Keycloak's own fields; only administrators edit it.
STAFF_ATTRIBUTES = ("partner", "staff_id", "hubs", "language")


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    email: str
    partner_id: str
    hubs: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    language: str = "sv"


@dataclass(frozen=True)
class Secrets:
    """Where the realm's local passwords and client secrets come from: a function of the client or
    user name (the local stack reads or makes a file; a cluster uses placeholders)."""

    client: Callable[[str], str]
    user: Callable[[str], str] | None = None  # None: no local passwords (a cluster federates them)


@dataclass(frozen=True)
class Network:
    partners: tuple[str, ...] = field(default_factory=deployment_partners)
    staff: tuple[Staff, ...] = field(default_factory=lambda: read_staff())
    # Where a portal client may send staff back to; `{partner}` stands for the client's partner.
    portal_redirects: tuple[str, ...] = ("http://127.0.0.1/*", "http://localhost/*")


def staff_seed() -> Path:
    """The notifications service's staff seed, found without importing the service."""
    spec = find_spec("hubnet_notifications")
    if spec is None or spec.origin is None:
        raise LookupError("hubnet_notifications is not installed: no staff seed to make the realm from")
    return Path(spec.origin).parent / "seed" / "staff.json"


def read_staff(path: Path | None = None) -> tuple[Staff, ...]:
    data = json.loads((path or staff_seed()).read_text(encoding="utf-8"))
    return tuple(
        Staff(**{**entry, "hubs": tuple(entry["hubs"]), "roles": tuple(entry["roles"])}) for entry in data["staff"]
    )


def realm(network: Network, secrets: Secrets) -> dict[str, Any]:
    """The whole realm, as Keycloak's RealmRepresentation."""
    return {
        **realm_settings(),
        "roles": {"realm": realm_roles(network)},
        "groups": groups(network),
        "clients": clients(network, secrets),
        "users": users(network, secrets),
        "components": {"org.keycloak.userprofile.UserProfileProvider": [user_profile_component()]},
    }


def realm_settings() -> dict[str, Any]:
    return {
        "realm": REALM,
        "displayName": "hubnet",
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": False,
        "duplicateEmailsAllowed": False,
        "bruteForceProtected": True,
        "accessTokenLifespan": ACCESS_TOKEN_SECONDS,
        "internationalizationEnabled": True,
        "supportedLocales": ["sv", "en"],
        "defaultLocale": "sv",
    }


def realm_roles(network: Network) -> list[dict[str, Any]]:
    staff_roles = {role for member in network.staff for role in member.roles}
    names = sorted(staff_roles | {PARTNER_SYSTEM, OPERATOR, MONITORING})
    return [{"name": name, "description": f"hubnet: {name}"} for name in names]


def groups(network: Network) -> list[dict[str, Any]]:
    return [
        {"name": partner, "path": f"/{partner}", "attributes": {"partner": [partner]}} for partner in network.partners
    ]


def clients(network: Network, secrets: Secrets) -> list[dict[str, Any]]:
    return [
        *(partner_client(partner, secrets) for partner in network.partners),
        *(portal_client(partner, network.portal_redirects) for partner in network.partners),
        machine_client(OPERATOR_CLIENT, secrets, "the operators' tools"),
        machine_client(MONITORING_CLIENT, secrets, "Prometheus, for /metrics"),
    ]


def partner_client(partner: str, secrets: Secrets) -> dict[str, Any]:
    client = machine_client(f"partner-{partner}", secrets, f"the case system of {partner}")
    client["protocolMappers"].append(_hardcoded("partner", partner))
    return client


def machine_client(client_id: str, secrets: Secrets, description: str) -> dict[str, Any]:
    """A confidential client that logs in as itself (client credentials), no browser flows."""
    return {
        "clientId": client_id,
        "description": description,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secrets.client(client_id),
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "fullScopeAllowed": True,
        **_MINIMAL_SCOPES,
        "protocolMappers": list(_service_mappers()),
    }


def portal_client(partner: str, redirects: Iterable[str]) -> dict[str, Any]:
    """The staff portal of one partner: a browser logs in on the provider's page, code flow + PKCE."""
    return {
        "clientId": f"portal-{partner}",
        "description": f"the staff portal of {partner}",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "redirectUris": [address.replace("{partner}", partner) for address in redirects],
        "webOrigins": ["+"],
        "attributes": {"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "+"},
        "fullScopeAllowed": True,
        **_MINIMAL_SCOPES,
        "optionalClientScopes": ["profile"],  # a name for the portal's page, only when it asks
        "protocolMappers": [*_service_mappers(), *_staff_mappers()],
    }


def users(network: Network, secrets: Secrets) -> list[dict[str, Any]]:
    people = [staff_user(member, secrets) for member in network.staff]
    operator = {
        "username": OPERATOR,
        "enabled": True,
        "firstName": "hubnet",
        "lastName": "operator",
        "email": "operator@hubnet.example.org",
        "emailVerified": True,
        "realmRoles": [OPERATOR],
        **_password(OPERATOR, secrets),
    }
    accounts = [service_account(f"partner-{partner}", [PARTNER_SYSTEM]) for partner in network.partners] + [
        service_account(OPERATOR_CLIENT, [OPERATOR]),
        service_account(MONITORING_CLIENT, [MONITORING]),
    ]
    return [*people, operator, *accounts]


def staff_user(member: Staff, secrets: Secrets) -> dict[str, Any]:
    first, _, last = member.name.partition(" ")
    return {
        "username": member.id,
        "enabled": True,
        "firstName": first,
        "lastName": last or first,
        "email": member.email,
        "emailVerified": True,
        "attributes": {
            "partner": [member.partner_id],
            "staff_id": [member.id],
            "hubs": list(member.hubs),
            "language": [member.language],
            "locale": [member.language],
        },
        "groups": [f"/{member.partner_id}"],
        "realmRoles": list(member.roles),
        **_password(member.id, secrets),
    }


def service_account(client_id: str, roles: list[str]) -> dict[str, Any]:
    return {
        "username": f"service-account-{client_id}",
        "enabled": True,
        "serviceAccountClientId": client_id,
        "realmRoles": roles,
    }


def user_profile_component() -> dict[str, Any]:
    """Keycloak's declarative user profile with hubnet's attributes, editable by administrators only."""
    return {
        "name": "Declarative User Profile",
        "providerId": "declarative-user-profile",
        "subComponents": {},
        "config": {"kc.user.profile.config": [json.dumps(user_profile())]},
    }


def user_profile() -> dict[str, Any]:
    admin_only = {"view": ["admin"], "edit": ["admin"]}
    readable = {"view": ["admin", "user"], "edit": ["admin"]}
    return {
        "attributes": [
            {"name": "username", "displayName": "${username}", "permissions": readable, "multivalued": False},
            {"name": "email", "displayName": "${email}", "permissions": readable, "multivalued": False},
            {"name": "firstName", "displayName": "${firstName}", "permissions": readable, "multivalued": False},
            {"name": "lastName", "displayName": "${lastName}", "permissions": readable, "multivalued": False},
            *(
                {"name": name, "displayName": name, "permissions": admin_only, "multivalued": name == "hubs"}
                for name in STAFF_ATTRIBUTES
            ),
        ],
        # Keycloak's own `locale` attribute stays unmanaged: the login page's language choice.
        "unmanagedAttributePolicy": "ADMIN_EDIT",
    }


def _password(username: str, secrets: Secrets) -> dict[str, Any]:
    if secrets.user is None:
        return {}
    return {"credentials": [{"type": "password", "value": secrets.user(username), "temporary": False}]}


def _service_mappers() -> Iterable[dict[str, Any]]:
    yield from (_audience(audience) for audience in SERVICE_AUDIENCES)
    yield _mapper(
        "roles",
        "oidc-usermodel-realm-role-mapper",
        {"claim.name": "roles", "multivalued": "true", "jsonType.label": "String"},
    )


def _staff_mappers() -> Iterable[dict[str, Any]]:
    for name in ("partner", "staff_id", "language"):
        yield _mapper(name, "oidc-usermodel-attribute-mapper", {"user.attribute": name, "claim.name": name})
    yield _mapper(
        "hubs",
        "oidc-usermodel-attribute-mapper",
        {"user.attribute": "hubs", "claim.name": "hubs", "multivalued": "true"},
    )


def _audience(audience: str) -> dict[str, Any]:
    return _mapper(
        f"audience {audience}",
        "oidc-audience-mapper",
        {"included.custom.audience": audience, "access.token.claim": "true", "id.token.claim": "false"},
    )


def _hardcoded(claim: str, value: str) -> dict[str, Any]:
    return _mapper(
        claim, "oidc-hardcoded-claim-mapper", {"claim.name": claim, "claim.value": value, "jsonType.label": "String"}
    )


def _mapper(name: str, kind: str, config: dict[str, str]) -> dict[str, Any]:
    defaults = {"access.token.claim": "true", "id.token.claim": "true", "userinfo.token.claim": "true"}
    if kind != "oidc-audience-mapper":
        defaults["jsonType.label"] = "String"
    return {
        "name": name,
        "protocol": "openid-connect",
        "protocolMapper": kind,
        "consentRequired": False,
        "config": {**defaults, **config},
    }
