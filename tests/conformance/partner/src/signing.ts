// The signed form of a record, key ids and Ed25519 (docs/contract/README.md, "Every record";
// vectors/signed-record.json, vectors/key-id.json, vectors/sealed-data-key.json).
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

const SEED_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex"); // PKCS#8 of a raw Ed25519 seed
const PUBLIC_PREFIX = Buffer.from("302a300506032b6570032100", "hex"); // SPKI of a raw Ed25519 public key

export type Headers = [string, string][];

/** Compact JSON, keys sorted, every character outside printable ASCII as a lowercase \uXXXX escape. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

export function signedForm(topic: string, key: string | null, headers: Headers, body: Buffer): string {
  const signed = headers
    .filter(([name]) => name.startsWith("ce_") || name === "content-type" || name === "traceparent")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bodySha256 = createHash("sha256").update(body).digest("hex");
  return canonicalJson({ body_sha256: bodySha256, headers: signed, key, topic, v: 2 });
}

export function base64url(raw: Buffer): string {
  return raw.toString("base64url");
}

/** `ed25519:` + the RFC 7638 thumbprint of the raw public key. */
export function keyId(publicKey: Buffer): string {
  const jwk = `{"crv":"Ed25519","kty":"OKP","x":"${base64url(publicKey)}"}`;
  return "ed25519:" + base64url(createHash("sha256").update(jwk).digest());
}

export class Signer {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
  readonly keyId: string;

  constructor(seed: Buffer) {
    this.privateKey = createPrivateKey({ key: Buffer.concat([SEED_PREFIX, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.privateKey).export({ format: "der", type: "spki" });
    this.publicKey = Buffer.from(spki.subarray(PUBLIC_PREFIX.length));
    this.keyId = keyId(this.publicKey);
  }

  /** Base64 of the Ed25519 signature over the UTF-8 bytes of `text`. */
  sign(text: string): string {
    return sign(null, Buffer.from(text, "utf8"), this.privateKey).toString("base64");
  }

  /** The `v2;key=…;sig=…` value over `text`. */
  signature(text: string): string {
    return `v2;key=${this.keyId};sig=${this.sign(text)}`;
  }

  /** What a RotateSigningKey to this (new) key carries as `proof`. */
  possessionProof(partnerId: string): string {
    return this.sign(`hubnet possession v1\n${partnerId}\n${this.keyId}`);
  }
}

export interface TrustedKey {
  owner: string; // the ce_source it signs as, e.g. urn:hubnet:service:referrals
  publicKey: Buffer;
}

/** Key id -> owner and key, for the keys you were given over a trusted channel. */
export type TrustedKeys = Map<string, TrustedKey>;

export function trust(keys: TrustedKey[]): TrustedKeys {
  return new Map(keys.map((k) => [keyId(k.publicKey), k]));
}

/** The owner of the trusted key that made `signature` over `text`; throws otherwise. */
export function verifySignature(text: string, signature: string, keys: TrustedKeys): string {
  const match = /^v2;key=([^;]+);sig=([A-Za-z0-9+/]+={0,2})$/.exec(signature);
  if (!match) throw new Error(`not a v2 signature: ${signature}`);
  const trusted = keys.get(match[1]);
  if (!trusted) throw new Error(`unknown key ${match[1]}`);
  const publicKey = createPublicKey({ key: Buffer.concat([PUBLIC_PREFIX, trusted.publicKey]), format: "der", type: "spki" });
  if (!verify(null, Buffer.from(text), publicKey, Buffer.from(match[2], "base64"))) {
    throw new Error(`bad signature by ${match[1]}`);
  }
  return trusted.owner;
}

/** A record read from `topic` (without the prefix): signed by a trusted key whose owner is its ce_source. */
export function verifyRecord(topic: string, key: string | null, headers: Headers, body: Buffer, keys: TrustedKeys): string {
  const signature = headers.find(([name]) => name === "hubnet_signature")?.[1];
  if (signature === undefined) throw new Error("unsigned record");
  const owner = verifySignature(signedForm(topic, key, headers, body), signature, keys);
  const source = headers.find(([name]) => name === "ce_source")?.[1];
  if (source !== owner) throw new Error(`ce_source ${source} is not the key's owner ${owner}`);
  return owner;
}
