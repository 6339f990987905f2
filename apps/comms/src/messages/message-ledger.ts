import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  createEvent,
  isExternalAudience,
  type ChannelKind,
  type EventData,
  MessageApprovedV1,
  MessageAwaitingApprovalV1,
  MessageRejectedV1,
  MessageSentV1,
  type AudienceKey,
  type IncidentSnapshot,
  type MessagePurpose,
  type MessageStatus,
  type MessageView,
} from '@vigil/contracts';
import { CONFIG, LOGGER, Problem, type Principal } from '@vigil/platform';
import { currentTraceHeaders } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { audienceOf, needsApproval, type AudienceRow } from '../audiences/audience-store';
import { channelsByName } from '../channels/channel-store';
import type { CommsConfig } from '../config';
import { CadenceTracker } from '../status-updates/cadence-tracker';
import { defaultTemplate } from '../templates/default-templates';
import { TemplateError } from '../templates/template-engine';
import { effectiveTemplate, effectiveTemplates } from '../templates/template-store';
import { buildTemplateView, type ObligationFacts, type Organisation } from '../templates/template-view';
import { emit } from '../persistence/emit';
import { outboxInsertSql, statementBuilder, writeTogetherSql, type Bind, type OutboxItem } from '@vigil/messaging';
import { composeMessage, type ComposeChannel, type ComposedDelivery } from './compose-message';

/** Who drafts the notices an audience's rule sends on its own. */
export const AUTOMATIC_DRAFTER = 'system:audience-rule';

/** A message's composed deliveries as the rows `releaseSql` writes, each with its notification id. */
const deliveryRows = (messageId: string, deliveries: readonly ComposedDelivery[]) =>
  deliveries.map((d) => ({ id: randomUUID(), message_id: messageId, channel_id: d.channelId, channel_name: d.channelName, kind: d.kind, recipients: d.recipients, body: d.body, body_sha256: d.bodySha256 }));

export interface MessageRow {
  id: string;
  incident_id: string;
  audience: AudienceKey;
  purpose: MessagePurpose;
  status: MessageStatus;
  subject: string;
  text: string;
  text_sha256: string;
  note: string | null;
  obligation_id: string | null;
  checklist_missing: string[];
  composed: ComposedDelivery[];
  automatic: boolean;
  restricted: boolean;
  requires_approval: boolean;
  approver_roles: string[];
  drafted_by: string;
  drafted_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  approval_comment: string | null;
  rejected_by: string | null;
  rejected_at: Date | null;
  rejection_reason: string | null;
  released_at: Date | null;
  completed_at: Date | null;
}

export interface DraftInput {
  incident: IncidentSnapshot;
  audience: AudienceKey;
  purpose: MessagePurpose;
  note?: string | null;
  /** A one-off template; the saved (or default) one otherwise. Checked before it is used. */
  template?: { subject: string; body: string } | null;
  obligation?: { id: string; facts: ObligationFacts } | null;
  draftedBy: string;
  automatic: boolean;
  /** Makes an automatic message happen once: a second draft with the same key does nothing. */
  dedupeKey?: string;
  now: Date;
  afterCommit: (fn: () => void) => void;
}

/** A notice an audience's rule sends on its own: never one that needs approval. */
export interface AutomaticNotice {
  incident: IncidentSnapshot;
  audience: AudienceRow;
  purpose: MessagePurpose;
  /** Makes it happen once: a notice whose key is already in the ledger is not drafted again. */
  dedupeKey: string;
}

/**
 * The ledger of messages to audiences: drafted from a template, approved where the audience
 * needs it, released to its channels, and kept exactly as it was sent — the rendered text and its
 * SHA-256, who drafted and who approved it, every channel's body and hash, recipients and receipts.
 * Every method runs in its caller's transaction.
 */
@Injectable()
export class MessageLedger {
  private readonly released = metrics.getMeter('vigil').createCounter('vigil.messages.released', { description: 'messages sent to their channels, by audience and purpose' });
  private wakeDelivery: () => void = () => undefined;

  constructor(
    @Inject(CONFIG) private readonly config: CommsConfig,
    private readonly cadence: CadenceTracker,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The delivery worker registers itself, so that released messages go out at once. */
  onRelease(wake: () => void): void {
    this.wakeDelivery = wake;
  }

  get organisation(): Organisation {
    return { name: this.config.COMMS_ORGANISATION_NAME, contact: this.config.COMMS_ORGANISATION_CONTACT, dpoContact: this.config.COMMS_DPO_CONTACT ?? null };
  }

  /** Drafts a message; one that needs no approval is released at once. Null when deduplicated. */
  async draft(manager: EntityManager, input: DraftInput): Promise<MessageRow | null> {
    const audience = await audienceOf(manager, input.audience);
    const template = input.template ?? (await effectiveTemplate(manager, input.audience, input.purpose));
    const channels = (await channelsByName(manager, audience.channels)).filter((c) => c.enabled);
    const id = randomUUID();
    const composed = await this.compose(id, input.incident, audience, input.purpose, template, channels, { note: input.note ?? null, obligation: input.obligation?.facts ?? null });
    const restricted = input.incident.restricted ?? false;
    const requiresApproval = needsApproval(audience);
    const approverRoles = this.approverRoles(input.audience, restricted);
    const missing = input.obligation?.facts.checklist.filter((c) => c.required && !c.value).map((c) => c.label) ?? [];
    const [row]: MessageRow[] = await manager.query(
      `INSERT INTO comms.messages (id, incident_id, audience, purpose, status, subject, text, text_sha256, note, obligation_id, checklist_missing, composed,
         automatic, dedupe_key, restricted, requires_approval, approver_roles, drafted_by, drafted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
      [
        id,
        input.incident.incidentId,
        input.audience,
        input.purpose,
        requiresApproval ? 'awaiting_approval' : 'approved',
        composed.subject,
        composed.text,
        composed.textSha256,
        input.note ?? null,
        input.obligation?.id ?? null,
        missing,
        JSON.stringify(composed.deliveries),
        input.automatic,
        input.dedupeKey ?? null,
        restricted,
        requiresApproval,
        requiresApproval ? approverRoles : [],
        input.draftedBy,
        input.now,
      ],
    );
    if (!row) return null;
    if (requiresApproval) {
      await emit(manager, MessageAwaitingApprovalV1, row.incident_id, { ...this.ref(row), draftedBy: row.drafted_by, approverRoles, at: input.now.toISOString() }, input.now);
      return row;
    }
    return this.release(manager, row, input.now, input.afterCommit);
  }

  /**
   * A run's automatic notices, drafted and released at once: the templates and channels read once
   * for all of them, and the messages, their deliveries (one per channel) and the audiences'
   * status-update clocks written in one statement. The same rows as `draft` of each, one by one:
   * an automatic notice needs no approval, so it is released as it is drafted. A saved template
   * that cannot render does not silence a notice: the shipped one goes out. Returns how many were
   * drafted (those whose key was already in the ledger are not).
   */
  async releaseAutomatic(manager: EntityManager, notices: readonly AutomaticNotice[], now: Date, afterCommit: (fn: () => void) => void): Promise<number> {
    if (notices.length === 0) return 0;
    const pairs = new Map(notices.map((n) => [`${n.audience.audience}:${n.purpose}`, [n.audience.audience, n.purpose] as const]));
    const templates = await effectiveTemplates(manager, [...pairs.values()]);
    const channels = (await channelsByName(manager, [...new Set(notices.flatMap((n) => n.audience.channels))])).filter((c) => c.enabled);
    const messages: Array<Record<string, unknown>> = [];
    const deliveries: Array<Record<string, unknown>> = [];
    for (const notice of notices) {
      if (needsApproval(notice.audience)) throw new Error(`an automatic notice to ${notice.audience.audience} would need an approval`);
      const id = randomUUID();
      const mine = channels.filter((c) => notice.audience.channels.includes(c.name));
      const compose = (template: { subject: string; body: string }) => this.compose(id, notice.incident, notice.audience, notice.purpose, template, mine, { note: null, obligation: null });
      const composed = await compose(templates.get(`${notice.audience.audience}:${notice.purpose}`)!).catch(async (error: unknown) => {
        if (!(error instanceof TemplateError)) throw error;
        this.logger.error({ err: error, audience: notice.audience.audience, purpose: notice.purpose }, 'saved template failed to render; sending the default one');
        return compose(defaultTemplate(notice.audience.audience, notice.purpose));
      });
      messages.push({
        id,
        incident_id: notice.incident.incidentId,
        audience: notice.audience.audience,
        purpose: notice.purpose,
        status: composed.deliveries.length ? 'sending' : 'approved',
        subject: composed.subject,
        text: composed.text,
        text_sha256: composed.textSha256,
        composed: composed.deliveries,
        dedupe_key: notice.dedupeKey,
        restricted: notice.incident.restricted ?? false,
      });
      deliveries.push(...deliveryRows(id, composed.deliveries));
    }
    const { bind, params } = statementBuilder();
    const at = bind(now);
    // Deliveries and clocks follow only the messages inserted: a deduplicated one adds nothing.
    const drafted: MessageRow[] = await manager.query(
      this.releaseSql(
        bind,
        at,
        `INSERT INTO comms.messages (id, incident_id, audience, purpose, status, subject, text, text_sha256, composed, automatic, dedupe_key, restricted,
           requires_approval, drafted_by, drafted_at, released_at, completed_at)
         SELECT id, incident_id, audience, purpose, status, subject, text, text_sha256, composed, true, dedupe_key, restricted,
                false, ${bind(AUTOMATIC_DRAFTER)}, ${at}::timestamptz, ${at}::timestamptz, CASE WHEN status = 'approved' THEN ${at}::timestamptz END
           FROM ROWS FROM (json_to_recordset(${bind(JSON.stringify(messages))}::json) AS (id uuid, incident_id uuid, audience text, purpose text, status text,
                  subject text, text text, text_sha256 text, composed jsonb, dedupe_key text, restricted boolean)) WITH ORDINALITY AS r
          ORDER BY r.ordinality
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING *`,
        deliveries,
      ),
      params,
    );
    this.releasedAll(drafted, afterCommit);
    return drafted.length;
  }

  /** The message rendered for the audience's channels (`composeMessage` over the incident's template view). */
  private compose(
    messageId: string,
    incident: IncidentSnapshot,
    audience: AudienceRow,
    purpose: MessagePurpose,
    template: { subject: string; body: string },
    channels: readonly ComposeChannel[],
    extra: { note: string | null; obligation: ObligationFacts | null },
  ) {
    const view = buildTemplateView(incident, { organisation: this.organisation, audience: audience.audience, purpose, ...extra });
    return composeMessage({ messageId, audience: audience.audience, template, view, channels, recipients: audience.recipients });
  }

  /**
   * One statement that writes messages (`writeMessages`, an INSERT or UPDATE of comms.messages
   * RETURNING *) and releases those it wrote: their deliveries (`deliveries` of the messages that
   * were written; the others' are dropped) and their audiences' status-update clocks. It returns
   * the messages written.
   */
  private releaseSql(bind: Bind, at: string, writeMessages: string, deliveries: ReadonlyArray<Record<string, unknown>>): string {
    return `WITH m AS (${writeMessages}),
       n AS (
         INSERT INTO comms.notifications (id, incident_id, kind, channel, audience, target, status, attempts, payload, trace_headers, next_attempt_at, created_at,
           message_id, channel_id, channel_name, recipients, body, body_sha256)
         SELECT d.id, m.incident_id, m.purpose, d.kind, m.audience, array_to_string(d.recipients, ', '), 'pending', 0, '{}', ${bind(JSON.stringify(currentTraceHeaders()))}::jsonb,
                ${at}::timestamptz, ${at}::timestamptz, m.id, d.channel_id, d.channel_name, d.recipients, d.body, d.body_sha256
           FROM json_to_recordset(${bind(JSON.stringify(deliveries))}::json) AS d(id uuid, message_id uuid, channel_id uuid, channel_name text, kind text,
                  recipients text[], body text, body_sha256 text)
           JOIN m ON m.id = d.message_id
         RETURNING 1),
       c AS (${this.cadence.reachedSql('m', at)} RETURNING 1)
       SELECT * FROM m`;
  }

  /** Counted, and the delivery worker woken for those with deliveries. */
  private releasedAll(messages: readonly MessageRow[], afterCommit: (fn: () => void) => void): void {
    for (const m of messages) this.released.add(1, { audience: m.audience, purpose: m.purpose });
    if (messages.some((m) => m.status === 'sending')) afterCommit(() => this.wakeDelivery());
  }

  /** Who may approve: legal alone for a restricted incident's message to an outside audience. */
  approverRoles(audience: AudienceKey, restricted: boolean): string[] {
    return restricted && isExternalAudience(audience) ? [...this.config.COMMS_RESTRICTED_APPROVER_ROLES] : [...this.config.COMMS_APPROVER_ROLES];
  }

  async approve(manager: EntityManager, message: MessageRow, incident: IncidentSnapshot | null, caller: Principal, comment: string | null, now: Date, afterCommit: (fn: () => void) => void): Promise<MessageRow> {
    this.assertDecidable(message, incident, caller);
    const [approved]: MessageRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.messages SET approved_by = $2, approved_at = $3, approval_comment = $4 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [message.id, caller.subject, now, comment],
    );
    await emit(manager, MessageApprovedV1, message.incident_id, { ...this.ref(message), approvedBy: caller.subject, comment, at: now.toISOString() }, now);
    return this.release(manager, approved, now, afterCommit);
  }

  async reject(manager: EntityManager, message: MessageRow, incident: IncidentSnapshot | null, caller: Principal, reason: string, now: Date): Promise<MessageRow> {
    this.assertDecidable(message, incident, caller);
    const [rejected]: MessageRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.messages SET status = 'rejected', rejected_by = $2, rejected_at = $3, rejection_reason = $4 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [message.id, caller.subject, now, reason],
    );
    await emit(manager, MessageRejectedV1, message.incident_id, { ...this.ref(message), rejectedBy: caller.subject, reason, at: now.toISOString() }, now);
    return rejected;
  }

  private assertDecidable(message: MessageRow, incident: IncidentSnapshot | null, caller: Principal): void {
    if (message.status !== 'awaiting_approval') throw new Problem(409, 'Conflict', `Message ${message.id} is ${message.status.replace(/_/g, ' ')}, not awaiting approval.`);
    // The incident may have been restricted since the draft: then only legal may release it outside.
    const restrictedNow = (incident?.restricted ?? false) || message.restricted;
    const roles = restrictedNow && isExternalAudience(message.audience) ? this.approverRoles(message.audience, true) : message.approver_roles;
    if (!caller.roles.some((r) => roles.includes(r))) {
      throw new Problem(403, 'Forbidden', `Only ${roles.join(' or ')} may approve this message${restrictedNow ? ' (the incident is restricted)' : ''}.`);
    }
    if (caller.subject === message.drafted_by) throw new Problem(403, 'Forbidden', 'Whoever drafted a message may not approve it: a second person must.');
  }

  /** To its channels: one notification per channel, with the body composed at draft time. */
  private async release(manager: EntityManager, message: MessageRow, now: Date, afterCommit: (fn: () => void) => void): Promise<MessageRow> {
    const deliveries = message.composed;
    const { bind, params } = statementBuilder();
    const at = bind(now);
    const [released]: MessageRow[] = await manager.query(
      this.releaseSql(
        bind,
        at,
        `UPDATE comms.messages SET status = ${bind(deliveries.length ? 'sending' : 'approved')}, released_at = ${at}::timestamptz,
                completed_at = ${deliveries.length ? 'NULL' : `${at}::timestamptz`}
          WHERE id = ${bind(message.id)}::uuid RETURNING *`,
        deliveryRows(message.id, deliveries),
      ),
      params,
    );
    this.releasedAll([released], afterCommit);
    return released;
  }

  /**
   * Called in the transaction that ends deliveries of these messages: each whose deliveries have
   * all ended is sent (or partly, or not at all) and says so in an event. The messages are locked
   * in id order in one statement, and the finished ones written with their events in another.
   */
  async deliveriesEnded(manager: EntityManager, messageIds: readonly string[], now: Date): Promise<void> {
    const messages: MessageRow[] = await manager.query(`SELECT * FROM comms.messages WHERE id = ANY($1::uuid[]) AND status = 'sending' ORDER BY id FOR UPDATE`, [
      [...messageIds].sort(),
    ]);
    if (messages.length === 0) return;
    const rows: Array<{ message_id: string; status: string; channel_name: string; channel: string; recipients: string[] }> = await manager.query(
      `SELECT message_id, status, channel_name, channel, recipients FROM comms.notifications WHERE message_id = ANY($1::uuid[]) ORDER BY message_id, channel_name`,
      [messages.map((m) => m.id)],
    );
    const finished: Array<{ id: string; status: string }> = [];
    const events: OutboxItem[] = [];
    for (const message of messages) {
      const mine = rows.filter((r) => r.message_id === message.id);
      if (mine.some((r) => r.status === 'pending')) continue;
      const delivered = mine.filter((r) => r.status === 'delivered').length;
      const outcome = delivered === mine.length ? 'sent' : delivered === 0 ? 'failed' : 'partially_sent';
      finished.push({ id: message.id, status: outcome });
      const data: EventData<typeof MessageSentV1> = {
        ...this.ref(message),
        outcome,
        draftedBy: message.drafted_by,
        approvedBy: message.approved_by,
        channels: mine.map((r) => ({ name: r.channel_name, kind: r.channel as ChannelKind, recipients: r.recipients, delivered: r.status === 'delivered' })),
        automatic: message.automatic,
        at: now.toISOString(),
      };
      events.push({ event: createEvent(MessageSentV1, { source: '/vigil/comms', subject: message.incident_id, data, time: now }), topic: MessageSentV1.topic, key: message.incident_id });
    }
    if (finished.length === 0) return;
    const { bind, params } = statementBuilder();
    const at = bind(now);
    await manager.query(
      writeTogetherSql([
        `UPDATE comms.messages m SET status = f.status, completed_at = ${at}::timestamptz
           FROM json_to_recordset(${bind(JSON.stringify(finished))}::json) AS f(id uuid, status text) WHERE m.id = f.id`,
        outboxInsertSql('comms', events, bind),
      ]),
      params,
    );
  }

  private ref(m: MessageRow) {
    return { messageId: m.id, incidentId: m.incident_id, audience: m.audience, purpose: m.purpose, textSha256: m.text_sha256 };
  }
}

/** The message as the API shows it, with every delivery and its receipts. */
export async function messageViews(manager: Pick<EntityManager, 'query'>, messages: MessageRow[]): Promise<MessageView[]> {
  if (messages.length === 0) return [];
  const notifications: Array<{
    id: string;
    message_id: string;
    channel_name: string;
    channel: string;
    recipients: string[];
    body: string;
    body_sha256: string;
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    delivered_at: Date | null;
  }> = await manager.query(`SELECT * FROM comms.notifications WHERE message_id = ANY($1) ORDER BY channel_name`, [messages.map((m) => m.id)]);
  const receipts: Array<{ notification_id: string; attempt: number; at: Date; outcome: 'delivered' | 'failed'; status_code: number | null; error: string | null; receipt: Record<string, unknown> | null }> =
    notifications.length ? await manager.query(`SELECT * FROM comms.deliveries WHERE notification_id = ANY($1) ORDER BY attempt`, [notifications.map((n) => n.id)]) : [];
  return messages.map((m) => ({
    messageId: m.id,
    incidentId: m.incident_id,
    audience: m.audience,
    purpose: m.purpose,
    status: m.status,
    subject: m.subject,
    text: m.text,
    textSha256: m.text_sha256,
    note: m.note,
    obligationId: m.obligation_id,
    checklistMissing: m.checklist_missing,
    automatic: m.automatic,
    restricted: m.restricted,
    draftedBy: m.drafted_by,
    draftedAt: m.drafted_at.toISOString(),
    approval: {
      required: m.requires_approval,
      approverRoles: m.approver_roles,
      approvedBy: m.approved_by,
      approvedAt: m.approved_at?.toISOString() ?? null,
      comment: m.approval_comment,
      rejectedBy: m.rejected_by,
      rejectedAt: m.rejected_at?.toISOString() ?? null,
      rejectionReason: m.rejection_reason,
    },
    releasedAt: m.released_at?.toISOString() ?? null,
    completedAt: m.completed_at?.toISOString() ?? null,
    deliveries: (m.released_at ? notifications.filter((n) => n.message_id === m.id) : []).map((n) => ({
      notificationId: n.id,
      channel: n.channel_name,
      kind: n.channel as MessageView['deliveries'][number]['kind'],
      recipients: n.recipients,
      body: n.body,
      bodySha256: n.body_sha256,
      status: n.status,
      attempts: n.attempts,
      deliveredAt: n.delivered_at?.toISOString() ?? null,
      receipts: receipts
        .filter((r) => r.notification_id === n.id)
        .map((r) => ({ attempt: r.attempt, at: r.at.toISOString(), outcome: r.outcome, statusCode: r.status_code, error: r.error, receipt: r.receipt })),
    })),
  }));
}
