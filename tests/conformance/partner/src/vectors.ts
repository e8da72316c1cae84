// This implementation against docs/contract/vectors/ before it talks to anything real.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkDataKeyAnswer } from "./http.js";
import { boxKeys, normalisePersonnummer, openSealed, openUnder, sealTo, sealUnder } from "./sealing.js";
import { keyId, signedForm, Signer, trust, verifyRecord, type Headers } from "./signing.js";

const b64 = (text: string) => Buffer.from(text, "base64");

function equal(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, the vector says ${JSON.stringify(expected)}`);
  }
}

/** `t=…,v1=…` of a webhook delivery holds for `body` (vectors/webhook-signature.json). */
export function webhookSignatureHolds(secret: string, header: string, body: Buffer, nowSeconds: number): boolean {
  const fields = header.split(",").map((f) => f.split("=", 2) as [string, string]);
  const t = fields.find(([k]) => k === "t")?.[1];
  if (t === undefined || Math.abs(nowSeconds - Number(t)) > 300) return false;
  const wanted = createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  return fields.some(([k, v]) => k === "v1" && v.length === 64 && timingSafeEqual(Buffer.from(v, "hex"), wanted));
}

/** Checks every vector file; returns the number of cases checked. Throws at the first mismatch. */
export function checkVectors(directory: string): number {
  const load = (name: string) => JSON.parse(readFileSync(join(directory, name), "utf8"));
  let checked = 0;

  for (const c of load("key-id.json").cases) {
    equal("key id", keyId(b64(c.public_key_file)), c.key_id);
    checked++;
  }

  const signed = load("signed-record.json");
  const signer = new Signer(b64(signed.signing_key.private_key_file));
  equal("public key of the seed", signer.publicKey.toString("base64"), signed.signing_key.public_key_file);
  equal("signer's key id", signer.keyId, signed.key_id);
  const senders = trust([{ owner: "urn:hubnet:partner:stadsmissionen", publicKey: signer.publicKey }]);
  for (const c of signed.cases) {
    const body = Buffer.from(c.body, "utf8");
    const form = signedForm(c.topic, c.record_key, c.headers as Headers, body);
    equal(`signed form (${c.name})`, form, c.canonical_form);
    equal(`signature (${c.name})`, signer.signature(form), c.hubnet_signature);
    verifyRecord(c.topic, c.record_key, [...c.headers, ["hubnet_signature", c.hubnet_signature]], body, senders);
    checked++;
  }

  const possession = load("possession-proof.json");
  const rotated = new Signer(b64(possession.new_private_key_file));
  equal("new key id", rotated.keyId, possession.new_key_id);
  equal("possession proof", rotated.possessionProof(possession.partner_id), possession.proof);
  checked++;

  const pnr = load("personnummer.json");
  const today = new Date(pnr.today + "T12:00:00Z");
  for (const c of pnr.normalisation) {
    let result: string;
    try {
      result = normalisePersonnummer(c.input, today);
    } catch (error) {
      result = `refused: ${(error as Error).message}`;
    }
    equal(`personnummer ${c.input}`, result, c.normalised ?? `refused: ${c.refused}`);
    checked++;
  }
  const referrals = boxKeys(b64(pnr.referrals_x25519_private_key_file));
  equal("referrals X25519 public key", Buffer.from(referrals.publicKey).toString("base64"), pnr.referrals_x25519_public_key_file);
  equal("sealed personnummer", Buffer.from(openSealed(pnr.sealed_personnummer, referrals)).toString(), pnr.opens_to);
  const ours = sealTo(referrals.publicKey, Buffer.from(pnr.opens_to));
  equal("our sealed personnummer", Buffer.from(openSealed(ours, referrals)).toString(), pnr.opens_to);
  checked += 2;

  const copy = load("sealed-data-key.json");
  const recipient = boxKeys(b64(copy.recipient_x25519_private_key_file));
  equal("recipient X25519 public key", Buffer.from(recipient.publicKey).toString("base64"), copy.recipient_x25519_public_key_file);
  equal("data key copy", Buffer.from(openSealed(copy.sealed_key, recipient)).toString("base64"), copy.data_key);
  equal("referrals key id", keyId(b64(copy.referrals_signing_public_key_file)), copy.referrals_key_id);
  const service = trust([{ owner: "urn:hubnet:service:referrals", publicKey: b64(copy.referrals_signing_public_key_file) }]);
  const a = copy.answer;
  checkDataKeyAnswer(a, a.participant_ref, a.partner, service, new Date(a.answered_at));
  let forged = false;
  try {
    checkDataKeyAnswer({ ...a, partner: "someone-else" }, a.participant_ref, "someone-else", service, new Date(a.answered_at));
  } catch {
    forged = true;
  }
  equal("a changed answer is refused", forged, true);
  checked += 2;

  const sealing = load("data-key-sealing.json");
  const dataKey = b64(sealing.data_key);
  for (const c of sealing.cases) {
    equal(`sealed ${c.name}`, sealUnder(dataKey, c.plaintext, b64(c.nonce)), c.sealed);
    equal(`opened ${c.name}`, openUnder(dataKey, c.sealed), c.plaintext);
    checked++;
  }

  const hook = load("webhook-signature.json");
  const body = Buffer.from(hook.body, "utf8");
  equal("webhook signature", webhookSignatureHolds(hook.secret, hook.header, body, hook.timestamp), true);
  equal("webhook signature, other body", webhookSignatureHolds(hook.secret, hook.header, Buffer.from("{}"), hook.timestamp), false);
  checked++;
  return checked;
}
