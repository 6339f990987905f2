import type {
  AssetCriticality,
  FunctionalImpact,
  IncidentCategory,
  IncidentPhase,
  IncidentSeverity,
  IncidentSnapshot,
  InformationImpact,
  Recoverability,
} from '@vigil/contracts';
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

  @Column('text', { name: 'functional_impact' }) functionalImpact!: FunctionalImpact;
  @Column('text', { name: 'information_impact' }) informationImpact!: InformationImpact;
  @Column('text') recoverability!: Recoverability;
  /** The most critical registered asset involved (null: none registered). */
  @Column('text', { name: 'asset_criticality', nullable: true }) assetCriticality!: AssetCriticality | null;
  /** The smallest recovery time objective among the registered assets involved (null: none set). */
  @Column('int', { name: 'recovery_time_objective_minutes', nullable: true }) recoveryTimeObjectiveMinutes!: number | null;
  /** Set once an analyst classifies: from then on alerts no longer change the classification. */
  @Column('text', { name: 'classified_by', nullable: true }) classifiedBy!: string | null;

  @Column('text', { nullable: true }) owner!: string | null;
  @Column('text', { array: true }) responders!: string[];
  @Column('uuid', { name: 'merged_into', nullable: true }) mergedInto!: string | null;
  /** Need to know: only the owner, responders, IR managers and auditors see it. */
  @Column('boolean', { default: false }) restricted!: boolean;
  /** Per clock field set by hand: who, why and when. */
  @Column('jsonb', { name: 'clock_notes' }) clockNotes!: Record<string, { by: string; reason: string | null; at: string }>;

  /** Alerts attached as recurrences during the recovery watch, and when the latest was received. */
  @Column('int', { name: 'recurrence_count', default: 0 }) recurrenceCount!: number;
  @Column('timestamptz', { name: 'last_recurrence_at', nullable: true }) lastRecurrenceAt!: Date | null;
  /** Days alerts on its assets or observables count as recurrences after recovery (null: TRIAGE_RECOVERY_WATCH_DAYS); set from the playbook. */
  @Column('int', { name: 'recovery_watch_days', nullable: true }) recoveryWatchDays!: number | null;

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
    classification: {
      functionalImpact: i.functionalImpact,
      informationImpact: i.informationImpact,
      recoverability: i.recoverability,
      assetCriticality: i.assetCriticality,
      classifiedBy: i.classifiedBy,
    },
    owner: i.owner,
    responders: i.responders,
    mergedInto: i.mergedInto,
    restricted: i.restricted ?? false,
    recoveryTimeObjectiveMinutes: i.recoveryTimeObjectiveMinutes ?? null,
  };
}

export function toView(i: Incident, assetIds: string[] = []) {
  const snapshot = toSnapshot(i);
  return {
    ...snapshot,
    classification: snapshot.classification!,
    owner: i.owner,
    responders: i.responders,
    mergedInto: i.mergedInto,
    dedupKey: i.dedupKey,
    assetIds,
    clockNotes: i.clockNotes,
    recurrenceCount: i.recurrenceCount ?? 0,
    lastRecurrenceAt: iso(i.lastRecurrenceAt ?? null),
    recoveryWatchDays: i.recoveryWatchDays ?? null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/** Clock fields as entity properties (the contract's names). */
export type ClockProperty = keyof IncidentSnapshot['timestamps'];
export function clockValue(i: Incident, field: ClockProperty): Date | null {
  return (i as unknown as Record<ClockProperty, Date | null>)[field];
}
export function setClockValue(i: Incident, field: ClockProperty, value: Date): void {
  (i as unknown as Record<ClockProperty, Date | null>)[field] = value;
}
