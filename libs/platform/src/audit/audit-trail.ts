import { trace } from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import { currentRequest, type RequestContext } from '../auth/request-context';

/** The table every service keeps its audit chain in, inside its own schema. */
export const AUDIT_TABLE = 'audit_record';

/**
 * DDL of a service's audit table. Provisioning (an administrative connection) creates it owned by
 * a role that does not log in and grants the service role SELECT and INSERT only; a migration
 * creates it where provisioning did not, and then refuses updates and deletes by trigger.
 */
export function auditTableDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS "${schema}".${AUDIT_TABLE} (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    body text NOT NULL,
    prev_hash text,
    hash text NOT NULL
  )`;
}

/** Stable hash of a value, for before/after digests. Keys are sorted so equal values hash equally. */
export function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A record's hash: over the previous record's hash, its sequence number and its body, as stored. */
export function chainHash(prevHash: string | null, seq: number | string, body: string): string {
  return createHash('sha256').update(`${prevHash ?? ''}\n${seq}\n${body}`).digest('hex');
}

export interface AuditRecordBody {
  at: string;
  service: string;
  outcome: 'applied' | 'refused';
  status?: number;
  reason?: string;
  actor: { subject: string | null; name?: string; email?: string; kind?: string; client?: string; roles: string[] };
  request: { method: string; route: string | null; path: string; requestId: string; traceId: string | null; sourceAddress: string };
  ids: Record<string, unknown>;
  before?: string;
  after?: string;
  bodyDigest?: string;
}

export interface VerifyResult {
  ok: boolean;
  service: string;
  records: number;
  headHash: string | null;
  /** The first record that no longer matches, and why. */
  firstMismatch?: { seq: number; reason: string };
}

export interface AuditRecordRow {
  seq: number;
  recordedAt: string;
  prevHash: string | null;
  hash: string;
  record: AuditRecordBody;
}

/**
 * The service's tamper-evident audit trail: every change made through its API is recorded in the
 * same transaction as the change (by a TypeORM subscriber that runs just before COMMIT), every
 * refused request in a transaction of its own. Records form a hash chain; a per-service advisory
 * lock orders writers so the chain never forks.
 */
export class AuditTrail {
  private readonly table: string;
  private readonly lockKey: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly service: string,
    private readonly logger: Logger,
  ) {
    this.table = `"${service}".${AUDIT_TABLE}`;
    this.lockKey = `vigil.audit.${service}`;
  }

  /** Hooks the trail into every transaction a guarded, mutating request commits. */
  attach(): void {
    const subscriber: EntitySubscriberInterface = {
      beforeTransactionCommit: async (event: TransactionCommitEvent) => {
        const ctx = currentRequest();
        if (!ctx || !ctx.audited || ctx.recorded || ctx.finished) return;
        if ((event.queryRunner as QueryRunner & { transactionDepth?: number }).transactionDepth !== 1) return;
        await this.append(event.queryRunner, this.bodyOf(ctx, 'applied'));
        ctx.recorded = true;
      },
    };
    (this.dataSource.subscribers as EntitySubscriberInterface[]).push(subscriber);
  }

  /** Records a change whose request committed no transaction of its own (after the fact). */
  async recordUnrecorded(ctx: RequestContext): Promise<void> {
    if (!ctx.audited || ctx.recorded) return;
    await this.inTransaction((runner) => this.append(runner, this.bodyOf(ctx, 'applied')));
    ctx.recorded = true;
  }

  /** Records a refused request (401, 403). Never fails the response: a lost refusal record is logged. */
  async recordRefusal(ctx: RequestContext | undefined, status: number, reason: string, fallback: { method: string; url: string; sourceAddress: string }): Promise<void> {
    const base: RequestContext = ctx ?? {
      requestId: 'unknown',
      method: fallback.method,
      url: fallback.url,
      sourceAddress: fallback.sourceAddress,
      audited: false,
      recorded: false,
      finished: false,
      params: {},
      touched: {},
    };
    try {
      await this.inTransaction((runner) => this.append(runner, { ...this.bodyOf(base, 'refused'), status, reason }));
    } catch (error) {
      this.logger.error({ err: error, status, reason }, 'audit: could not record a refused request');
    }
  }

  private bodyOf(ctx: RequestContext, outcome: AuditRecordBody['outcome']): AuditRecordBody {
    const p = ctx.principal;
    const span = trace.getActiveSpan()?.spanContext();
    return {
      at: new Date().toISOString(),
      service: this.service,
      outcome,
      actor: {
        subject: p?.subject ?? null,
        ...(p?.name ? { name: p.name } : {}),
        ...(p?.email ? { email: p.email } : {}),
        ...(p ? { kind: p.kind } : {}),
        ...(p?.clientId ? { client: p.clientId } : {}),
        roles: p?.roles ?? [],
      },
      request: {
        method: ctx.method,
        route: ctx.route ?? null,
        path: ctx.url.split('?')[0],
        requestId: ctx.requestId,
        traceId: span && span.traceId !== '00000000000000000000000000000000' ? span.traceId : null,
        sourceAddress: ctx.sourceAddress,
      },
      ids: { ...ctx.params, ...ctx.touched },
      ...(ctx.before ? { before: ctx.before } : {}),
      ...(ctx.after ? { after: ctx.after } : {}),
      ...(ctx.bodyDigest ? { bodyDigest: ctx.bodyDigest } : {}),
    };
  }

  private async inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN');
      await work(runner);
      await runner.query('COMMIT');
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Appends one record to the chain inside the caller's transaction. */
  private async append(runner: QueryRunner, record: AuditRecordBody): Promise<void> {
    const body = canonicalJson(record);
    // The lock first, in its own statement: the insert's snapshot then sees the latest head.
    await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
    await runner.query(
      `INSERT INTO ${this.table} (seq, body, prev_hash, hash)
       SELECT n.seq, $1, p.hash, encode(sha256(convert_to(coalesce(p.hash, '') || E'\\n' || n.seq::text || E'\\n' || $1, 'UTF8')), 'hex')
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1) p ON true
         CROSS JOIN LATERAL (SELECT coalesce(p.seq, 0) + 1 AS seq) n`,
      [body],
    );
  }

  /** Reads records in chain order, from a sequence number on. */
  async page(afterSeq: number, limit: number): Promise<AuditRecordRow[]> {
    const rows = (await this.dataSource.query(
      `SELECT seq, recorded_at, body, prev_hash, hash FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    )) as Array<{ seq: string; recorded_at: Date; body: string; prev_hash: string | null; hash: string }>;
    return rows.map((r) => ({
      seq: Number(r.seq),
      recordedAt: r.recorded_at.toISOString(),
      prevHash: r.prev_hash,
      hash: r.hash,
      record: safeParse(r.body),
    }));
  }

  /** Recomputes the chain from its start and names the first record that no longer matches. */
  async verify(): Promise<VerifyResult> {
    return verifyChain(this.service, (after, limit) =>
      this.dataSource.query(`SELECT seq, body, prev_hash, hash FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit]),
    );
  }
}

function safeParse(body: string): AuditRecordBody {
  try {
    return JSON.parse(body) as AuditRecordBody;
  } catch {
    return { unparseable: body } as unknown as AuditRecordBody;
  }
}

/**
 * Walks a chain in sequence order (any reader of `seq, body, prev_hash, hash` rows): each record
 * must follow the one before it without a gap, point at its hash, and hash to what it stores.
 */
export async function verifyChain(
  service: string,
  read: (afterSeq: number, limit: number) => Promise<Array<{ seq: string | number; body: string; prev_hash: string | null; hash: string }>>,
): Promise<VerifyResult> {
  let previous: { seq: number; hash: string } | null = null;
  let records = 0;
  for (;;) {
    const rows = await read(previous?.seq ?? 0, 1000);
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      const expectedSeq: number = (previous?.seq ?? 0) + 1;
      const mismatch = (reason: string): VerifyResult => ({ ok: false, service, records, headHash: previous?.hash ?? null, firstMismatch: { seq, reason } });
      if (seq !== expectedSeq) return mismatch(`record ${expectedSeq} is missing (next found is ${seq})`);
      if ((row.prev_hash ?? null) !== (previous?.hash ?? null)) return mismatch('its prev_hash is not the hash of the record before it');
      if (chainHash(row.prev_hash, seq, row.body) !== row.hash) return mismatch('its content no longer matches its hash');
      previous = { seq, hash: row.hash };
      records++;
    }
  }
  return { ok: true, service, records, headHash: previous?.hash ?? null };
}

/** The role that owns audit tables where provisioning creates them: it never logs in. */
export const AUDIT_OWNER_ROLE = 'vigil_audit_owner';

/** A trigger that refuses to change or remove audit records, whoever asks. */
export function auditImmutabilityDdl(schema: string): string[] {
  return [
    `CREATE OR REPLACE FUNCTION "${schema}".audit_record_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = '42501'; END $$`,
    `DROP TRIGGER IF EXISTS audit_record_immutable ON "${schema}".${AUDIT_TABLE}`,
    `CREATE TRIGGER audit_record_immutable BEFORE UPDATE OR DELETE ON "${schema}".${AUDIT_TABLE}
     FOR EACH ROW EXECUTE FUNCTION "${schema}".audit_record_immutable()`,
  ];
}

/**
 * The migration every service runs for its audit trail. Where provisioning already created the
 * table (owned by AUDIT_OWNER_ROLE, the service role granted SELECT and INSERT only), it does
 * nothing; otherwise it creates it, refuses updates and deletes by trigger, and gives up its own
 * UPDATE, DELETE and TRUNCATE rights (docs/adr/0009-identity-and-audit.md says what that holds against).
 */
export function auditTrailMigration(schema: string) {
  return class AuditTrail1764700000000 {
    name = 'AuditTrail1764700000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      const exists = (await queryRunner.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, [schema, AUDIT_TABLE])) as unknown[];
      if (exists.length) return;
      await queryRunner.query(auditTableDdl(schema));
      for (const statement of auditImmutabilityDdl(schema)) await queryRunner.query(statement);
      await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${schema}".${AUDIT_TABLE} FROM CURRENT_USER`);
    }
    async down(): Promise<void> {
      // An audit trail is never dropped by a migration.
    }
  };
}
