// A partner system written from docs/contract/ and docs/openapi/ alone: it checks itself against
// the vectors, then records a consent, creates a referral and opens its copy of the data key on a
// real hubnet. Each step prints one JSON line; the first failure prints {"step": "failed", …}.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Api, checkDataKeyAnswer, Tokens, type DataKeyAnswer } from "./http.js";
import { connect, endOffsets, reader, recordKeys, sender, type Record } from "./kafka.js";
import { boxKeys, luhn, normalisePersonnummer, openSealed, openUnder, ready, sealTo, sealUnder } from "./sealing.js";
import { Signer, trust } from "./signing.js";
import { checkVectors } from "./vectors.js";

const COMMANDS = "referral.commands.v1";
const FACTS = "referral.events.v1";
const DIRECTORY = "directory.v1";

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const keyFile = (variable: string) => Buffer.from(readFileSync(env(variable), "utf8").trim(), "base64");
const print = (step: string, facts: object = {}) => console.log(JSON.stringify({ step, ...facts }));

/** A made-up resident: a valid personnummer born in the 1980s (unique enough per run). */
function aResident(): string {
  const digits = (n: number, width: number) => String(n).padStart(width, "0");
  const random = (below: number) => Math.floor(Math.random() * below);
  const nine = `8${random(10)}${digits(1 + random(12), 2)}${digits(1 + random(28), 2)}${digits(random(1000), 3)}`;
  return normalisePersonnummer(nine + luhn(nine), new Date());
}

function accepted(answer: Record, what: string): Record {
  if (answer.header("ce_type") !== "se.hubnet.command.accepted.v1") {
    throw new Error(`${what} refused: ${answer.value.code}: ${answer.value.reason} ${JSON.stringify(answer.value.errors ?? [])}`);
  }
  return answer;
}

async function main(): Promise<void> {
  await ready();
  const contract = env("HUBNET_CONTRACT_DIR");
  print("vectors", { checked: checkVectors(contract + "/vectors") });

  const partner = env("PARTNER_ID");
  const source = `urn:hubnet:partner:${partner}`;
  const replies = `partner.${partner}.replies.v1`;
  const prefix = env("HUBNET_TOPIC_PREFIX", "");
  const signer = new Signer(keyFile("PARTNER_SIGNING_KEY"));
  const ownBox = boxKeys(keyFile("PARTNER_X25519_KEY"));
  const referralsBox = keyFile("REFERRALS_X25519_PUB");
  const services = trust([{ owner: "urn:hubnet:service:referrals", publicKey: keyFile("REFERRALS_SIGNING_PUB") }]);

  const kafka = connect({
    bootstrap: env("HUBNET_KAFKA_BOOTSTRAP").split(","),
    username: `partner-${partner}`,
    password: env("KAFKA_PASSWORD"),
    mechanism: env("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").toLowerCase() as "scram-sha-512",
    tlsCaFile: process.env.KAFKA_TLS_CA || undefined,
  });
  const directoryEnd = await endOffsets(kafka, prefix + DIRECTORY);
  const read = reader(kafka, `partner.${partner}.conformance-${randomUUID()}`, services, prefix);
  await read.start([DIRECTORY, replies, FACTS]);
  const send = await sender(kafka, signer, source, prefix, recordKeys(contract + "/asyncapi.json"));
  print("kafka-login", { user: `partner-${partner}` });

  const tokens = new Tokens(env("OIDC_ISSUER"), `partner-${partner}`, env("OIDC_CLIENT_SECRET"));
  const api = new Api(env("REFERRALS_URL"), tokens);
  await tokens.bearer();
  print("token", { client: `partner-${partner}` });

  await read.readUpTo(DIRECTORY, directoryEnd);
  const entries = read.verified.filter((r) => r.topic === DIRECTORY);
  const dropped = read.dropped.filter((d) => d.topic === DIRECTORY).length; // forged or unknown: not used
  const [status, directory] = await api.get("/directory");
  if (status !== 200) throw new Error(`GET /directory: ${status}`);
  const service = directory.services.find(
    (s: any) => s.partner_id !== partner && s.active && s.hub_ids.length && (s.available_places ?? 1) > 0,
  );
  const onKafka = entries.findLast((r) => r.header("ce_type") === "se.hubnet.service.upserted.v1" && r.value.service_id === service.id);
  if (!onKafka || !onKafka.value.hub_ids.includes(service.hub_ids[0])) throw new Error(`service ${service.id} not so on ${DIRECTORY}`);
  print("directory", { verified: entries.length, dropped, service_id: service.id, hub_id: service.hub_ids[0], receiver: service.partner_id });

  // The X25519 key others seal to us: the data key copy of a consent is sealed to the key in our entry.
  const ownKey = Buffer.from(ownBox.publicKey).toString("base64");
  const update = await send.send(COMMANDS, "se.hubnet.directory.update-partner.v1", {
    partner_id: partner,
    encryption_public_key: ownKey,
  });
  accepted(await read.answer(replies, update), "UpdatePartner");
  await read.next((r) => r.topic === DIRECTORY && r.value.partner_id === partner && r.value.encryption_public_key === ownKey);
  print("encryption-key", { published: ownKey });

  const consentId = `C-${randomUUID()}`;
  const now = new Date();
  const consent = await send.send(COMMANDS, "se.hubnet.consent.record.v1", {
    consent_id: consentId,
    sealed_personnummer: sealTo(referralsBox, Buffer.from(aResident(), "ascii")),
    partner_ids: [partner, service.partner_id],
    purposes: ["work"],
    method: "written",
    noted_by: "conformance partner",
    given_at: now.toISOString(),
    valid_until: new Date(now.getTime() + 365 * 86_400_000).toISOString(),
  });
  const ref: string = accepted(await read.answer(replies, consent), "RecordConsent").value.participant_ref;
  if (!/^[0-9a-f]{64}$/.test(ref)) throw new Error(`participant_ref ${ref}`);
  print("consent", { consent_id: consentId, participant_ref: ref });

  const [keyStatus, answer] = await api.get(`/data-key?participant_ref=${ref}`);
  if (keyStatus !== 200) throw new Error(`GET /data-key: ${keyStatus} ${JSON.stringify(answer)}`);
  checkDataKeyAnswer(answer as DataKeyAnswer, ref, partner, services);
  const dataKey = openSealed(answer.sealed_key, ownBox);
  if (dataKey.length !== 32) throw new Error(`a data key of ${dataKey.length} bytes`);
  // its hash, not the key: enough for whoever runs this to compare with their own copy
  print("data-key", { verified: true, bytes: dataKey.length, sha256: createHash("sha256").update(dataKey).digest("hex") });

  const referralId = `R-${randomUUID()}`;
  const contact = JSON.stringify({ name: "Amina Example", phone: "+46700000000", email: null, language: "so", note: null });
  const create = await send.send(COMMANDS, "se.hubnet.referral.create.v1", {
    referral_id: referralId,
    service_id: service.id,
    hub_id: service.hub_ids[0],
    participant_ref: ref,
    purpose: "work",
    consent_id: consentId,
    need: sealUnder(dataKey, env("REFERRAL_NEED")),
    sealed_contact: sealUnder(dataKey, contact),
  });
  const created = accepted(await read.answer(replies, create), "CreateReferral");
  print("referral", { referral_id: referralId, answer: created.header("ce_type"), aggregate_id: created.value.aggregate_id });

  const fact = await read.next((r) => r.topic === FACTS && r.value.referral_id === referralId);
  if (openUnder(dataKey, fact.value.sealed_contact) !== contact) throw new Error("the fact's contact is not ours");
  print("fact", {
    type: fact.header("ce_type"),
    signed_by: fact.header("ce_source"),
    status: fact.value.status,
    version: fact.value.version,
    receiver: fact.value.receiver_partner_id,
  });

  await read.stop();
  process.exit(0);
}

main().catch((error) => {
  print("failed", { error: String(error?.stack ?? error) });
  process.exit(1);
});
