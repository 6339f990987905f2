import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  isExternalAudience,
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
import { CONFIG, Problem, type Principal } from '@vigil/platform';
import { currentTraceHeaders } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { audienceOf, needsApproval } from '../audiences/audience-store';
import { channelsByName } from '../channels/channel-store';
import type { CommsConfig } from '../config';
import { CadenceTracker } from '../status-updates/cadence-tracker';
import { effectiveTemplate } from '../templates/template-store';
import { buildTemplateView, type ObligationFacts, type Organisation } from '../templates/template-view';
import { emit } from '../persistence/emit';
import { composeMessage, type ComposedDelivery } from './compose-message';

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
    const view = buildTemplateView(input.incident, {
      organisation: this.organisation,
      audience: input.audience,
      purpose: input.purpose,
      note: input.note ?? null,
      obligation: input.obligation?.facts ?? null,
    });
    const composed = await composeMessage({ messageId: id, audience: input.audience, template, view, channels, recipients: audience.recipients });
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
    const status: MessageStatus = deliveries.length ? 'sending' : 'approved';
    const [released]: MessageRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.messages SET status = $2, released_at = $3, completed_at = $4 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [message.id, status, now, deliveries.length ? null : now],
    );
    const trace = currentTraceHeaders();
    for (const d of deliveries) {
      await manager.query(
        `INSERT INTO comms.notifications (id, incident_id, kind, channel, audience, target, status, attempts, payload, trace_headers, next_attempt_at, created_at,
           message_id, channel_id, channel_name, recipients, body, body_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, '{}', $7, $8, $8, $9, $10, $11, $12, $13, $14)`,
        [randomUUID(), message.incident_id, message.purpose, d.kind, message.audience, d.recipients.join(', '), trace, now, message.id, d.channelId, d.channelName, d.recipients, d.body, d.bodySha256],
      );
    }
    await this.cadence.recordUpdate(manager, message.incident_id, message.audience, now);
    this.released.add(1, { audience: message.audience, purpose: message.purpose });
    if (deliveries.length) afterCommit(() => this.wakeDelivery());
    return released;
  }

  /**
   * Called in the transaction that ends one of the message's deliveries: once none is pending,
   * the message is sent (or partly, or not at all) and says so in an event.
   */
  async deliveryEnded(manager: EntityManager, messageId: string, now: Date): Promise<void> {
    const [message]: MessageRow[] = await manager.query(`SELECT * FROM comms.messages WHERE id = $1 FOR UPDATE`, [messageId]);
    if (!message || message.status !== 'sending') return;
    const rows: Array<{ status: string; channel_name: string; channel: string; recipients: string[] }> = await manager.query(
      `SELECT status, channel_name, channel, recipients FROM comms.notifications WHERE message_id = $1 ORDER BY channel_name`,
      [messageId],
    );
    if (rows.some((r) => r.status === 'pending')) return;
    const delivered = rows.filter((r) => r.status === 'delivered').length;
    const outcome = delivered === rows.length ? 'sent' : delivered === 0 ? 'failed' : 'partially_sent';
    await manager.query(`UPDATE comms.messages SET status = $2, completed_at = $3 WHERE id = $1`, [messageId, outcome, now]);
    await emit(
      manager,
      MessageSentV1,
      message.incident_id,
      {
        ...this.ref(message),
        outcome,
        draftedBy: message.drafted_by,
        approvedBy: message.approved_by,
        channels: rows.map((r) => ({ name: r.channel_name, kind: r.channel, recipients: r.recipients, delivered: r.status === 'delivered' })),
        automatic: message.automatic,
        at: now.toISOString(),
      },
      now,
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
