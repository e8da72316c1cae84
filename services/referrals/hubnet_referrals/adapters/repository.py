"""Referrals, consents, SLA clocks and the directory in PostgreSQL (asyncpg, plain SQL)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import asyncpg

from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose, ReasonCode, Status
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_common.service.db import ReadMemo
from hubnet_common.service.trust import keep_partner_standing, keep_signing_keys
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.directory import Hub, Partner, Schedule, Service
from hubnet_referrals.domain.referral import Action, Outcome, Referral, Transition
from hubnet_referrals.domain.sla import SlaClock

COLUMNS = (
    "id",
    "sender_partner_id",
    "receiver_partner_id",
    "service_id",
    "hub_id",
    "participant_ref",
    "purpose",
    "need",
    "consent_id",
    "sealed_contact",
    "requested_at",
)
HISTORY = (
    "version",
    "action",
    "status",
    "actor_partner_id",
    "at",
    "reason_code",
    "reason",
    "note",
    "main_activity",
    "public_support_continues",
    "outcome_note",
    "noted_by",
)


class PgReferrals:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, referral_id: str, *, for_update: bool = False) -> Referral | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(f"SELECT * FROM referrals WHERE id = $1{lock}", referral_id)
        if row is None:
            return None
        history = await self.conn.fetch(
            f"SELECT {', '.join(HISTORY)} FROM referral_history WHERE referral_id = $1 ORDER BY version", referral_id
        )
        return Referral(
            **{column: row[column] for column in COLUMNS},
            status=Status(row["status"]),
            history=[_transition(h) for h in history],
        )

    async def open_under_consent(self, consent_id: str) -> list[str]:
        return await self._open_where("consent_id", consent_id)

    async def open_of_participant(self, participant_ref: str) -> list[str]:
        return await self._open_where("participant_ref", participant_ref)

    async def _open_where(self, column: str, value: str) -> list[str]:
        """Ids of the open referrals with this consent or participant, locked for the change."""
        rows = await self.conn.fetch(
            f"SELECT id FROM referrals WHERE {column} = $1"
            " AND status IN ('requested', 'received', 'accepted', 'in-progress', 'on-hold') ORDER BY id FOR UPDATE",
            value,
        )
        return [r["id"] for r in rows]

    async def ids_of_participant(self, participant_ref: str) -> list[str]:
        rows = await self.conn.fetch("SELECT id FROM referrals WHERE participant_ref = $1 ORDER BY id", participant_ref)
        return [r["id"] for r in rows]

    async def erase_personal_data(self, *, consent_id: str | None = None, participant_ref: str | None = None) -> int:
        """Drop the sealed contact details and free text of every referral made under a consent, or
        for a resident, history included. Returns how many rows still held some."""
        which = "SELECT id FROM referrals WHERE consent_id = $1 OR participant_ref = $2"
        referrals = await self.conn.execute(
            f"UPDATE referrals SET sealed_contact = NULL, need = '' WHERE id IN ({which})"
            " AND (sealed_contact IS NOT NULL OR need <> '')",
            consent_id,
            participant_ref,
        )
        history = await self.conn.execute(
            f"UPDATE referral_history SET reason = '', note = '', outcome_note = '' WHERE referral_id IN ({which})"
            " AND (reason <> '' OR note <> '' OR outcome_note <> '')",
            consent_id,
            participant_ref,
        )
        return int(referrals.split()[-1]) + int(history.split()[-1])

    async def add(self, referral: Referral) -> None:
        await self.conn.execute(
            f"INSERT INTO referrals ({', '.join(COLUMNS)}, status, version)"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 3))})",
            *(getattr(referral, column) for column in COLUMNS),
            referral.status.value,
            referral.version,
        )
        await self._append_history(referral, since_version=0)

    async def save(self, referral: Referral) -> None:
        stored = await self.conn.fetchval(
            "UPDATE referrals r SET status = $2, version = $3, sealed_contact = $4, need = $5"
            " FROM (SELECT version FROM referrals WHERE id = $1) old WHERE r.id = $1 RETURNING old.version",
            referral.id,
            referral.status.value,
            referral.version,
            referral.sealed_contact,
            referral.need,
        )
        await self._append_history(referral, since_version=stored)

    async def _append_history(self, referral: Referral, *, since_version: int) -> None:
        await self.conn.executemany(
            f"INSERT INTO referral_history (referral_id, {', '.join(HISTORY)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(HISTORY) + 2))})",
            [(referral.id, *_history_row(t)) for t in referral.history if t.version > since_version],
        )


def _history_row(t: Transition) -> tuple:
    o = t.outcome
    return (
        t.version,
        t.action.value,
        t.status.value,
        t.actor_partner_id,
        t.at,
        t.reason_code.value if t.reason_code else None,
        t.reason,
        t.note,
        o.main_activity.value if o else None,
        o.public_support_continues if o else None,
        o.note if o else "",
        t.noted_by,
    )


def _transition(h: asyncpg.Record) -> Transition:
    outcome = (
        Outcome(MainActivity(h["main_activity"]), h["public_support_continues"], h["outcome_note"])
        if h["main_activity"]
        else None
    )
    return Transition(
        h["version"],
        Action(h["action"]),
        Status(h["status"]),
        h["actor_partner_id"],
        h["at"],
        ReasonCode(h["reason_code"]) if h["reason_code"] else None,
        h["reason"],
        h["note"],
        outcome,
        h["noted_by"],
    )


CONSENT = (
    "id",
    "participant_ref",
    "partner_ids",
    "purposes",
    "method",
    "noted_by",
    "recorded_by_partner_id",
    "given_at",
    "valid_until",
    "withdrawn_at",
    "withdrawn_noted_by",
)


class PgConsents:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, consent_id: str, *, for_update: bool = False) -> Consent | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(f"SELECT {', '.join(CONSENT)} FROM consents WHERE id = $1{lock}", consent_id)
        if row is None:
            return None
        return Consent(
            **{
                **dict(row),
                "partner_ids": tuple(row["partner_ids"]),
                "purposes": tuple(Purpose(p) for p in row["purposes"]),
                "method": ConsentMethod(row["method"]),
            }
        )

    async def add(self, consent: Consent) -> None:
        await self.conn.execute(
            f"INSERT INTO consents ({', '.join(CONSENT)}) VALUES ({', '.join(f'${i}' for i in range(1, 12))})",
            consent.id,
            consent.participant_ref,
            list(consent.partner_ids),
            [p.value for p in consent.purposes],
            consent.method.value,
            consent.noted_by,
            consent.recorded_by_partner_id,
            consent.given_at,
            consent.valid_until,
            consent.withdrawn_at,
            consent.withdrawn_noted_by,
        )

    async def of_participant(self, participant_ref: str, *, for_update: bool = False) -> list[Consent]:
        lock = " FOR UPDATE" if for_update else ""
        rows = await self.conn.fetch(
            f"SELECT id FROM consents WHERE participant_ref = $1 ORDER BY id{lock}", participant_ref
        )
        found = [await self.get(r["id"]) for r in rows]
        return [consent for consent in found if consent is not None]  # all: consents are never deleted

    async def save_withdrawal(self, consent: Consent) -> None:
        await self.conn.execute(
            "UPDATE consents SET withdrawn_at = $2, withdrawn_noted_by = $3 WHERE id = $1",
            consent.id,
            consent.withdrawn_at,
            consent.withdrawn_noted_by,
        )


class PgSlaClocks:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def start(self, clock: SlaClock) -> None:
        await self.conn.execute(
            "INSERT INTO referral_sla (referral_id, kind, period_days, due_at, breaches) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (referral_id, kind) DO UPDATE SET period_days = $3, due_at = $4, breaches = $5,"
            " stopped_at = NULL",
            clock.referral_id,
            clock.kind,
            clock.period_days,
            clock.due_at,
            clock.breaches,
        )

    async def stop(self, referral_id: str, at: datetime, kind: str | None = None) -> None:
        await self.conn.execute(
            "UPDATE referral_sla SET stopped_at = $2 WHERE referral_id = $1 AND stopped_at IS NULL"
            " AND ($3::text IS NULL OR kind = $3)",
            referral_id,
            at,
            kind,
        )

    async def due(self, now: datetime, limit: int) -> list[SlaClock]:
        """Running clocks past their deadline, locked so one scheduler announces each breach."""
        rows = await self.conn.fetch(
            "SELECT referral_id, kind, period_days, due_at, breaches FROM referral_sla"
            " WHERE stopped_at IS NULL AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            now,
            limit,
        )
        return [SlaClock(**r) for r in rows]

    async def save(self, clock: SlaClock) -> None:
        await self.conn.execute(
            "UPDATE referral_sla SET due_at = $3, breaches = $4 WHERE referral_id = $1 AND kind = $2",
            clock.referral_id,
            clock.kind,
            clock.due_at,
            clock.breaches,
        )


SERVICE = (
    "id",
    "partner_id",
    "name",
    "active",
    "available_places",
    "capacity_updated_at",
    "ack_within_days",
    "answer_within_days",
    "eligibility",
    "languages",
    "contact_email",
    "contact_phone",
    "needs",
    "description",
    "alternate_name",
    "url",
    "application_process",
    "interpretation_services",
    "fees_description",
    "minimum_age",
    "maximum_age",
    "required_documents",
    "schedules",
)
ARRAYS = ("languages", "needs", "required_documents")  # text[]: tuples in the domain


def service_from_row(row: asyncpg.Record) -> Service:
    """A service as selected with SERVICE and its hub_ids."""
    fields = {**dict(row), "hub_ids": tuple(row["hub_ids"]), **{c: tuple(row[c]) for c in ARRAYS}}
    return Service(**{**fields, "schedules": tuple(schedule_from_json(s) for s in json.loads(row["schedules"]))})


def schedule_from_json(stored: dict[str, Any]) -> Schedule:
    """An opening time from JSON (dates in ISO 8601), as stored and as the seed gives it."""
    dates = {k: date.fromisoformat(stored[k]) if stored.get(k) else None for k in ("valid_from", "valid_to")}
    return Schedule(**{**stored, **dates})


def _service_values(service: Service) -> list[Any]:
    """The SERVICE columns' values, as asyncpg takes them."""
    values = {**{c: getattr(service, c) for c in SERVICE}, **{c: list(getattr(service, c)) for c in ARRAYS}}
    values["schedules"] = json.dumps([asdict(s) for s in service.schedules], default=date.isoformat)
    return [values[c] for c in SERVICE]


class PgDirectory:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read = ReadMemo()

    async def partner(self, partner_id: str) -> Partner | None:
        return await self._read.get(("partner", partner_id), lambda: self._partner(partner_id))

    async def service(self, service_id: str) -> Service | None:
        return await self._read.get(("service", service_id), lambda: self._service(service_id))

    async def _partner(self, partner_id: str) -> Partner | None:
        row = await self.conn.fetchrow(
            "SELECT p.id, p.name, p.active, p.encryption_public_key,"
            " coalesce(s.status, CASE WHEN p.active THEN 'active' ELSE 'suspended' END) AS status"
            " FROM partners p LEFT JOIN partner_standing s ON s.partner_id = p.id WHERE p.id = $1",
            partner_id,
        )
        if row is None:
            return None
        keys = await self.conn.fetch(
            "SELECT owner, public_key, valid_from, valid_until FROM signing_keys WHERE owner = $1"
            " ORDER BY valid_from NULLS FIRST, key_id",
            partner_source(partner_id),
        )
        return Partner(**row, signing_keys=tuple(PublicSigningKey(**key) for key in keys))

    async def _service(self, service_id: str) -> Service | None:
        row = await self.conn.fetchrow(
            f"SELECT {', '.join('s.' + c for c in SERVICE)},"
            " coalesce(array_agg(l.hub_id ORDER BY l.hub_id) FILTER (WHERE l.hub_id IS NOT NULL), '{}') AS hub_ids"
            " FROM services s LEFT JOIN service_at_location l ON l.service_id = s.id"
            " WHERE s.id = $1 GROUP BY s.id",
            service_id,
        )
        return None if row is None else service_from_row(row)

    async def hub_exists(self, hub_id: str) -> bool:
        return bool(await self.conn.fetchval("SELECT active FROM hubs WHERE id = $1", hub_id))

    async def upsert_partner(self, partner: Partner) -> bool:
        """Store the partner and its signing keys; True when it is new or changed."""
        self._read.forget()
        if await self.partner(partner.id) == partner:
            return False
        await self.conn.execute(
            "INSERT INTO partners (id, name, active, encryption_public_key) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3, encryption_public_key = $4",
            partner.id,
            partner.name,
            partner.active,
            partner.encryption_public_key,
        )
        await keep_signing_keys(self.conn, partner.source, partner.signing_keys)
        await keep_partner_standing(self.conn, partner.id, partner.status)
        self._read.forget()  # the read above is stale now
        return True

    async def upsert_hub(self, hub: Hub) -> bool:
        self._read.forget()
        return bool(
            await self.conn.fetchval(
                "INSERT INTO hubs (id, name, active) VALUES ($1, $2, $3)"
                " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3"
                " WHERE (hubs.name, hubs.active) IS DISTINCT FROM ($2, $3) RETURNING true",
                hub.id,
                hub.name,
                hub.active,
            )
        )

    async def upsert_service(self, service: Service) -> bool:
        self._read.forget()
        values = _service_values(service)
        assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(SERVICE, 1) if c != "id")
        changed = bool(
            await self.conn.fetchval(
                f"INSERT INTO services ({', '.join(SERVICE)})"
                f" VALUES ({', '.join(f'${i}' for i in range(1, len(SERVICE) + 1))})"
                f" ON CONFLICT (id) DO UPDATE SET {assignments}"
                f" WHERE ({', '.join('services.' + c for c in SERVICE[1:])})"
                f" IS DISTINCT FROM ({', '.join(f'${i}' for i in range(2, len(SERVICE) + 1))}) RETURNING true",
                *values,
            )
        )
        before = await self.conn.fetch("SELECT hub_id FROM service_at_location WHERE service_id = $1", service.id)
        if {r["hub_id"] for r in before} == set(service.hub_ids):
            return changed
        await self.conn.execute("DELETE FROM service_at_location WHERE service_id = $1", service.id)
        await self.conn.executemany(
            "INSERT INTO service_at_location (service_id, hub_id) VALUES ($1, $2)",
            [(service.id, hub_id) for hub_id in service.hub_ids],
        )
        return True
