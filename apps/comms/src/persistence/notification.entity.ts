import { Column, Entity, PrimaryColumn } from 'typeorm';

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') kind!: string;
  @Column('text') channel!: string;
  @Column('text') audience!: string;
  @Column('text') target!: string;
  @Column('text') status!: NotificationStatus;
  @Column('int') attempts!: number;
  @Column('jsonb') payload!: object;
  @Column('jsonb', { name: 'trace_headers' }) traceHeaders!: Record<string, string>;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt!: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  /** Set for a page: the page, its escalation and the person paged. */
  @Column('uuid', { name: 'page_id', nullable: true }) pageId!: string | null;
  @Column('uuid', { name: 'escalation_id', nullable: true }) escalationId!: string | null;
  @Column('uuid', { name: 'person_id', nullable: true }) personId!: string | null;
  // A message's delivery through one named channel (null for the older notices, which carry their
  // webhook URL in `target` and their JSON in `payload`, and for pages, sent through the channel
  // kind in `channel` to `target`).
  @Column('uuid', { name: 'message_id', nullable: true }) messageId!: string | null;
  @Column('uuid', { name: 'channel_id', nullable: true }) channelId!: string | null;
  @Column('text', { name: 'channel_name', nullable: true }) channelName!: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) recipients!: string[];
  /** Exactly what is sent (messages and pages), and its SHA-256. */
  @Column('text', { nullable: true }) body!: string | null;
  @Column('text', { name: 'body_sha256', nullable: true }) bodySha256!: string | null;
}

@Entity({ name: 'deliveries' })
export class Delivery {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'notification_id' }) notificationId!: string;
  @Column('int') attempt!: number;
  @Column('timestamptz') at!: Date;
  @Column('text') outcome!: 'delivered' | 'failed';
  @Column('int', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('int', { name: 'duration_ms' }) durationMs!: number;
  /** What the channel answered (SMTP message id and response, HTTP status …). */
  @Column('jsonb', { nullable: true }) receipt!: Record<string, unknown> | null;
}
