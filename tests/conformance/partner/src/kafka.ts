// Kafka as docs/contract/README.md describes it: SCRAM over (optionally) TLS, CloudEvents in binary
// mode, every record signed on the way out and verified on the way in.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Kafka, logLevel, type Consumer, type IHeaders, type Producer, type SASLOptions } from "kafkajs";
import { verifyRecord, signedForm, type Headers, type Signer, type TrustedKeys } from "./signing.js";

export interface KafkaSettings {
  bootstrap: string[];
  username: string;
  password: string;
  mechanism: "scram-sha-512" | "scram-sha-256";
  tlsCaFile?: string;
}

export interface Record {
  topic: string; // without the prefix
  key: string | null;
  headers: Headers;
  body: Buffer;
  value: any;
  header(name: string): string | undefined;
}

export function connect(settings: KafkaSettings): Kafka {
  const sasl = { mechanism: settings.mechanism, username: settings.username, password: settings.password } as SASLOptions;
  return new Kafka({
    clientId: settings.username,
    brokers: settings.bootstrap,
    sasl,
    ssl: settings.tlsCaFile ? { ca: [readFileSync(settings.tlsCaFile, "utf8")] } : false,
    logLevel: logLevel.ERROR,
  });
}

function headerList(raw: IHeaders | undefined): Headers {
  const list: Headers = [];
  for (const [name, value] of Object.entries(raw ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined) list.push([name, one.toString()]);
    }
  }
  return list;
}

export class Sender {
  constructor(
    private readonly producer: Producer,
    private readonly signer: Signer,
    private readonly source: string,
    private readonly prefix: string,
    private readonly keyTemplates: Map<string, string>,
  ) {}

  /** The record key (and ce_subject) from the message's `x-hubnet-record-key`, e.g. `partner:{partner_id}`. */
  recordKey(ceType: string, body: { [field: string]: unknown }): string {
    const template = this.keyTemplates.get(ceType);
    if (template === undefined) throw new Error(`${ceType} is not in asyncapi.json`);
    return template.replace(/\{([a-z_]+)\}/g, (_, field: string) => String(body[field]));
  }

  /** Sends `body` as a signed `ceType` command keyed by its aggregate id; returns its ce_id (the
   * answer's command_id). */
  async send(topic: string, ceType: string, body: { [field: string]: unknown }): Promise<string> {
    const id = randomUUID();
    const subject = this.recordKey(ceType, body);
    const raw = Buffer.from(JSON.stringify(body));
    const headers: Headers = [
      ["ce_specversion", "1.0"],
      ["ce_id", id],
      ["ce_source", this.source],
      ["ce_type", ceType],
      ["ce_time", new Date().toISOString().replace("Z", "+00:00")],
      ["ce_subject", subject],
      ["content-type", "application/json"],
      ["traceparent", `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`],
    ];
    headers.push(["hubnet_signature", this.signer.signature(signedForm(topic, subject, headers, raw))]);
    await this.producer.send({
      topic: this.prefix + topic,
      acks: -1,
      messages: [{ key: subject, value: raw, headers: Object.fromEntries(headers) }],
    });
    return id;
  }
}

/** ce_type -> x-hubnet-record-key of every message in docs/contract/asyncapi.json. */
export function recordKeys(asyncapiFile: string): Map<string, string> {
  const messages = JSON.parse(readFileSync(asyncapiFile, "utf8")).components.messages;
  return new Map(Object.values(messages).map((m: any) => [m.name, m["x-hubnet-record-key"]]));
}

export async function sender(kafka: Kafka, signer: Signer, source: string, prefix: string, keys: Map<string, string>) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return new Sender(producer, signer, source, prefix, keys);
}

type Waiter = { wanted: (r: Record) => boolean; resolve: (r: Record) => void };

/** Reads topics from their beginning, verifies every record and keeps those that pass. */
export class Reader {
  readonly verified: Record[] = [];
  readonly dropped: { topic: string; reason: string }[] = [];
  private waiters: Waiter[] = [];
  private readonly read = new Map<string, bigint>(); // topic/partition -> next offset

  constructor(
    private readonly consumer: Consumer,
    private readonly keys: TrustedKeys,
    private readonly prefix: string,
  ) {}

  async start(topics: string[]): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: topics.map((t) => this.prefix + t), fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        this.take(topic.slice(this.prefix.length), message);
        this.read.set(`${topic.slice(this.prefix.length)}/${partition}`, BigInt(message.offset) + 1n);
      },
    });
  }

  private take(topic: string, message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }): void {
    const headers = headerList(message.headers);
    const key = message.key === null ? null : message.key.toString();
    const body = message.value ?? Buffer.alloc(0);
    try {
      verifyRecord(topic, key, headers, body, this.keys);
    } catch (error) {
      this.dropped.push({ topic, reason: (error as Error).message });
      return;
    }
    const record: Record = {
      topic,
      key,
      headers,
      body,
      value: JSON.parse(body.toString("utf8")),
      header: (name) => headers.find(([n]) => n === name)?.[1],
    };
    this.verified.push(record);
    this.waiters = this.waiters.filter((w) => !(w.wanted(record) && (w.resolve(record), true)));
  }

  /** The first verified record for which `wanted` holds, already read or still to come. */
  next(wanted: (r: Record) => boolean, timeoutMs = 60_000): Promise<Record> {
    const found = this.verified.find(wanted);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no such record in time")), timeoutMs);
      this.waiters.push({ wanted, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });
  }

  /** The verified answer on your replies topic to the command with ce_id `commandId`. */
  answer(repliesTopic: string, commandId: string): Promise<Record> {
    return this.next((r) => r.topic === repliesTopic && r.value.command_id === commandId);
  }

  /** Waits until every partition of `topic` is read up to `ends` (from `endOffsets`). */
  async readUpTo(topic: string, ends: Map<number, bigint>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const behind = () => [...ends].some(([p, end]) => (this.read.get(`${topic}/${p}`) ?? 0n) < end);
    while (behind()) {
      if (Date.now() > deadline) throw new Error(`${topic} not read to its end in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export function reader(kafka: Kafka, groupId: string, keys: TrustedKeys, prefix: string): Reader {
  return new Reader(kafka.consumer({ groupId }), keys, prefix);
}

/** The end offset of each partition of `topic` now: read up to these and you have read it all. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.filter((o) => o.high !== o.low).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}
