// libsodium: sealed boxes (personnummer, data key copies) and values sealed under a resident's
// data key (docs/contract/README.md, steps 4, 7, 8; vectors/personnummer.json, sealed-data-key.json,
// data-key-sealing.json).
import sodium from "libsodium-wrappers";

export async function ready(): Promise<void> {
  await sodium.ready;
}

export interface BoxKeys {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** An X25519 key pair from the 32-byte private key of a key file. */
export function boxKeys(privateKey: Uint8Array): BoxKeys {
  return { publicKey: sodium.crypto_scalarmult_base(privateKey), privateKey };
}

export function sealTo(recipientPublicKey: Uint8Array, plaintext: Uint8Array): string {
  return Buffer.from(sodium.crypto_box_seal(plaintext, recipientPublicKey)).toString("base64");
}

export function openSealed(sealed: string, keys: BoxKeys): Uint8Array {
  return sodium.crypto_box_seal_open(Buffer.from(sealed, "base64"), keys.publicKey, keys.privateKey);
}

const SEALED_PREFIX = "sealed:v2:";

export function sealUnder(dataKey: Uint8Array, plaintext: string, nonce?: Uint8Array): string {
  const n = nonce ?? sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  const box = sodium.crypto_secretbox_easy(Buffer.from(plaintext, "utf8"), n, dataKey); // MAC ‖ ciphertext
  return SEALED_PREFIX + Buffer.concat([n, box]).toString("base64");
}

export function openUnder(dataKey: Uint8Array, sealed: string): string {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error("not a sealed:v2: value");
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64");
  const n = raw.subarray(0, sodium.crypto_secretbox_NONCEBYTES);
  const box = raw.subarray(sodium.crypto_secretbox_NONCEBYTES);
  return Buffer.from(sodium.crypto_secretbox_open_easy(box, n, dataKey)).toString("utf8");
}

/** A personnummer as the 12 digits YYYYMMDDNNNC (vectors/personnummer.json, "what"). */
export function normalisePersonnummer(input: string, today: Date): string {
  const match = /^(\d{2})?(\d{6})([-+]?)(\d{4})$/.exec(input.replace(/ /g, ""));
  if (!match) throw new Error("expected YYYYMMDD-NNNN or YYMMDD-NNNN");
  const [, century, yymmdd, separator, last4] = match;
  const yy = Number(yymmdd.slice(0, 2));
  let year: number;
  if (century !== undefined) {
    year = Number(century + yymmdd.slice(0, 2));
  } else {
    const thisYear = today.getUTCFullYear();
    year = thisYear - ((thisYear - yy) % 100 + 100) % 100; // the last 100 years
    const born = Date.UTC(year, Number(yymmdd.slice(2, 4)) - 1, Number(yymmdd.slice(4, 6)) % 60);
    if (born > today.getTime()) year -= 100;
    if (separator === "+") year -= 100;
  }
  const month = Number(yymmdd.slice(2, 4));
  const dayField = Number(yymmdd.slice(4, 6));
  const day = dayField > 60 ? dayField - 60 : dayField; // samordningsnummer
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new Error(`${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")} is not a date`);
  }
  const ten = yymmdd + last4;
  if (luhn(ten.slice(0, 9)) !== Number(ten[9])) throw new Error("the check digit does not match");
  return String(year).padStart(4, "0") + ten.slice(2);
}

/** The Luhn check digit of nine digits. */
export function luhn(nine: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return (10 - (sum % 10)) % 10;
}
