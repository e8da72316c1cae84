// The HTTP side (docs/contract/README.md, steps 2, 3, 7; docs/openapi/referrals.json): an OAuth
// client-credentials token and the referrals API with it.
import { canonicalJson, verifySignature, type TrustedKeys } from "./signing.js";

export class Tokens {
  private token?: { value: string; until: number };

  constructor(
    private readonly issuer: string,
    private readonly clientId: string,
    private readonly secret: string,
  ) {}

  /** A bearer token, fetched anew shortly before the last one runs out. */
  async bearer(): Promise<string> {
    if (this.token && Date.now() < this.token.until) return this.token.value;
    const response = await fetch(`${this.issuer}/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: this.clientId, client_secret: this.secret }),
    });
    if (!response.ok) throw new Error(`no token for ${this.clientId}: ${response.status} ${await response.text()}`);
    const answer = (await response.json()) as { access_token: string; expires_in: number };
    this.token = { value: answer.access_token, until: Date.now() + (answer.expires_in - 30) * 1000 };
    return this.token.value;
  }
}

export class Api {
  constructor(
    private readonly base: string,
    private readonly tokens: Tokens,
  ) {}

  /** (status, JSON body) of GET `path`. */
  async get(path: string): Promise<[number, any]> {
    const response = await fetch(this.base + path, { headers: { authorization: `Bearer ${await this.tokens.bearer()}` } });
    const text = await response.text();
    return [response.status, text ? JSON.parse(text) : null];
  }
}

export interface DataKeyAnswer {
  participant_ref: string;
  partner: string;
  sealed_key: string;
  answered_at: string;
  signature: string;
}

/** Throws unless the answer is the referrals service's, about `ref` and `partner`, made within 5 minutes. */
export function checkDataKeyAnswer(
  answer: DataKeyAnswer,
  ref: string,
  partner: string,
  keys: TrustedKeys,
  now: Date = new Date(),
): void {
  const statement = canonicalJson({
    answered_at: answer.answered_at,
    participant_ref: answer.participant_ref,
    partner: answer.partner,
    sealed_key: answer.sealed_key,
    statement: "hubnet data-key answer v1",
  });
  const owner = verifySignature(statement, answer.signature, keys);
  if (owner !== "urn:hubnet:service:referrals") throw new Error(`data key answer signed by ${owner}`);
  if (answer.participant_ref !== ref || answer.partner !== partner) throw new Error("an answer about someone else");
  if (Math.abs(now.getTime() - Date.parse(answer.answered_at)) > 300_000) throw new Error("an old answer");
}
