import type { IncidentCategory, IncidentPhase, IncidentSeverity, IncidentSnapshot } from '@vigil/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'incidents' })
export class Incident {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'dedup_key' })
  dedupKey!: string;

  @Column('text')
  title!: string;

  @Column('text')
  severity!: IncidentSeverity;

  @Column('text')
  category!: IncidentCategory;

  @Column('text')
  phase!: IncidentPhase;

  @Column('boolean')
  exercise!: boolean;

  @Column('int', { name: 'alert_count' })
  alertCount!: number;

  /** Bumped on every change; carried in events so consumers can ignore stale snapshots. */
  @Column('int')
  version!: number;

  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  @Column('timestamptz', { name: 'detected_at' }) detectedAt!: Date;
  @Column('timestamptz', { name: 'declared_at' }) declaredAt!: Date;
  @Column('timestamptz', { name: 'acknowledged_at', nullable: true }) acknowledgedAt!: Date | null;
  @Column('timestamptz', { name: 'contained_at', nullable: true }) containedAt!: Date | null;
  @Column('timestamptz', { name: 'eradicated_at', nullable: true }) eradicatedAt!: Date | null;
  @Column('timestamptz', { name: 'recovered_at', nullable: true }) recoveredAt!: Date | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;

  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSnapshot(i: Incident): IncidentSnapshot {
  return {
    incidentId: i.id,
    title: i.title,
    severity: i.severity,
    category: i.category,
    phase: i.phase,
    exercise: i.exercise,
    alertCount: i.alertCount,
    version: i.version,
    timestamps: {
      occurredAt: i.occurredAt.toISOString(),
      detectedAt: i.detectedAt.toISOString(),
      declaredAt: i.declaredAt.toISOString(),
      acknowledgedAt: iso(i.acknowledgedAt),
      containedAt: iso(i.containedAt),
      eradicatedAt: iso(i.eradicatedAt),
      recoveredAt: iso(i.recoveredAt),
      closedAt: iso(i.closedAt),
    },
  };
}

export function toView(i: Incident) {
  return { ...toSnapshot(i), dedupKey: i.dedupKey, createdAt: i.createdAt.toISOString(), updatedAt: i.updatedAt.toISOString() };
}
