import type { IncidentClassification } from '@vigil/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One line of an incident's story, from any service's event. */
@Entity({ name: 'timeline_entries' })
export class TimelineEntry {
  @PrimaryColumn('text', { name: 'event_id' }) eventId!: string;
  @Column('uuid', { name: 'incident_id', nullable: true }) incidentId!: string | null;
  @Column('uuid', { name: 'alert_id', nullable: true }) alertId!: string | null;
  @Column('timestamptz') at!: Date;
  @Column('text') type!: string;
  @Column('text') source!: string;
  @Column('text') summary!: string;
}

/** The incident clock as reporting last saw it (the newest version wins). */
@Entity({ name: 'incident_clocks' })
export class IncidentClock {
  @PrimaryColumn('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') severity!: string;
  @Column('text') category!: string;
  @Column('text') phase!: string;
  @Column('boolean') exercise!: boolean;
  @Column('int') version!: number;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  @Column('timestamptz', { name: 'detected_at' }) detectedAt!: Date;
  @Column('timestamptz', { name: 'declared_at' }) declaredAt!: Date;
  @Column('timestamptz', { name: 'acknowledged_at', nullable: true }) acknowledgedAt!: Date | null;
  @Column('timestamptz', { name: 'contained_at', nullable: true }) containedAt!: Date | null;
  @Column('timestamptz', { name: 'eradicated_at', nullable: true }) eradicatedAt!: Date | null;
  @Column('timestamptz', { name: 'recovered_at', nullable: true }) recoveredAt!: Date | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;
  @Column('text', { nullable: true }) title!: string | null;
  @Column('int', { name: 'alert_count', nullable: true }) alertCount!: number | null;
  @Column('jsonb', { nullable: true }) classification!: IncidentClassification | null;
  @Column('text', { nullable: true }) owner!: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) responders!: string[];
  @Column('uuid', { name: 'merged_into', nullable: true }) mergedInto!: string | null;
  /** Phase → when the incident first entered it (from phase changes; `detected` at declaration). */
  @Column('jsonb', { name: 'phases_entered', default: () => "'{}'" }) phasesEntered!: Record<string, string>;
}
