import { Injectable } from '@nestjs/common';
import { metrics, type Counter, type Histogram } from '@opentelemetry/api';
import type { EventData, IncidentAlertAttachedV1, IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { writeEntities } from '@vigil/platform';
import { IncidentClock } from '../../persistence/entities';
import { MTTX_DEFINITIONS, newlyKnown, type MttxName } from './mttx';

/** What an incident event changes on the clock beyond its snapshot. */
export interface ClockChange {
  snapshot: IncidentSnapshot;
  /** An alert opened the incident or joined it by correlation (not moved or merged in: counted already). */
  joinsAlert: boolean;
  /** A phase change: the phase entered, and when. */
  phaseEntered?: { phase: string; at: string };
}

/** An alert attached by correlation, not moved or merged in. */
export function joinsByCorrelation(d: EventData<typeof IncidentAlertAttachedV1>): boolean {
  return !d.movedFrom && d.correlatedBy !== 'moved' && d.correlatedBy !== 'merged';
}

/** Seconds, from a minute to a month: detection and response times span that range. */
const BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 2592000];

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);


/**
 * Keeps each incident's clock (newest snapshot wins, so replays and reordering are harmless) and
 * records each MTTx figure in its histogram once, when it first becomes known.
 */
@Injectable()
export class IncidentClockProjector {
  private readonly histograms: Record<MttxName, Histogram>;
  /** Counters for the KPI panels: incidents declared and declared false positive, alerts that joined incidents. */
  private readonly declared: Counter;
  private readonly falsePositives: Counter;
  private readonly alerts: Counter;

  constructor() {
    const meter = metrics.getMeter('vigil');
    this.histograms = Object.fromEntries(
      (Object.keys(MTTX_DEFINITIONS) as MttxName[]).map((name) => [
        name,
        meter.createHistogram(MTTX_DEFINITIONS[name].metric, {
          unit: 's',
          description: `${name.toUpperCase()}: ${MTTX_DEFINITIONS[name].description}`,
          advice: { explicitBucketBoundaries: BUCKETS },
        }),
      ]),
    ) as Record<MttxName, Histogram>;
    this.declared = meter.createCounter('vigil.incidents.declared', { description: 'incidents declared (opened), by severity and category when first seen' });
    this.falsePositives = meter.createCounter('vigil.incidents.false_positives', { description: 'incidents declared a false positive' });
    this.alerts = meter.createCounter('vigil.incident.alerts', { description: 'alerts that opened or joined an incident (moves and merges are not counted again)' });
  }

  /**
   * Applies a run of incident events set-wise: the run's clock rows are locked and read in one
   * statement (in id order), each incident's newest snapshot of the run is worked out in memory,
   * and the clocks that moved are written in one statement (a stale or replayed snapshot changes
   * nothing). Each alert that joins is counted once, when its snapshot is newer than everything
   * before it.
   */
  async project(changes: ReadonlyArray<ClockChange>, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const byIncident = new Map<string, ClockChange[]>();
    for (const change of changes) {
      const id = change.snapshot.incidentId;
      const group = byIncident.get(id);
      if (group) group.push(change);
      else byIncident.set(id, [change]);
    }
    const ids = [...byIncident.keys()].sort();
    const existing = new Map(
      (
        await manager
          .getRepository(IncidentClock)
          .createQueryBuilder('c')
          .setLock('pessimistic_write')
          .where('c.incidentId IN (:...ids)', { ids })
          .orderBy('c.incidentId')
          .getMany()
      ).map((c) => [c.incidentId, c]),
    );
    const rows: IncidentClock[] = [];
    for (const [id, group] of byIncident) {
      const before = existing.get(id) ?? null;
      let newest: IncidentSnapshot | undefined;
      let seen = before?.version ?? Number.NEGATIVE_INFINITY;
      let joined = 0;
      for (const { snapshot, joinsAlert } of group) {
        if (snapshot.version <= seen) continue;
        seen = snapshot.version;
        newest = snapshot;
        if (joinsAlert) joined += 1;
      }
      if (newest) rows.push(this.moved(newest, before, afterCommit, joined));
    }
    await writeEntities(manager, IncidentClock, rows, ['incidentId']);
    // A stale or replayed snapshot changes nothing, but the phase it entered still counts (first time wins).
    for (const { snapshot, phaseEntered } of changes) {
      if (phaseEntered) await this.notePhaseEntered(snapshot.incidentId, phaseEntered, manager);
    }
  }

  /** The clock row of the newest snapshot, and the figures it makes known (recorded after the commit). */
  private moved(snapshot: IncidentSnapshot, existing: IncidentClock | null, afterCommit: (fn: () => void) => void, joined: number): IncidentClock {
    const t = snapshot.timestamps;
    const toDate = (v: string | null) => (v ? new Date(v) : null);
    const row: IncidentClock = {
      incidentId: snapshot.incidentId,
      severity: snapshot.severity,
      category: snapshot.category,
      phase: snapshot.phase,
      exercise: snapshot.exercise,
      version: snapshot.version,
      occurredAt: new Date(t.occurredAt),
      detectedAt: new Date(t.detectedAt),
      declaredAt: new Date(t.declaredAt),
      acknowledgedAt: toDate(t.acknowledgedAt),
      containedAt: toDate(t.containedAt),
      eradicatedAt: toDate(t.eradicatedAt),
      recoveredAt: toDate(t.recoveredAt),
      closedAt: toDate(t.closedAt),
      title: snapshot.title,
      alertCount: snapshot.alertCount,
      classification: snapshot.classification ?? existing?.classification ?? null,
      owner: snapshot.owner ?? null,
      responders: snapshot.responders ?? [],
      mergedInto: snapshot.mergedInto ?? null,
      phasesEntered: existing?.phasesEntered ?? { detected: t.declaredAt },
    };
    const before = existing
      ? {
          occurredAt: iso(existing.occurredAt),
          detectedAt: iso(existing.detectedAt),
          acknowledgedAt: iso(existing.acknowledgedAt),
          containedAt: iso(existing.containedAt),
          recoveredAt: iso(existing.recoveredAt),
        }
      : undefined;
    const attributes = { severity: snapshot.severity, category: snapshot.category, exercise: String(snapshot.exercise) };
    for (const { name, seconds } of newlyKnown(before, t)) {
      afterCommit(() => this.histograms[name].record(Math.max(0, seconds), attributes));
    }
    // Past the stale-snapshot check, so a replayed event counts nothing twice.
    if (!existing) afterCommit(() => this.declared.add(1, attributes));
    if (snapshot.phase === 'false_positive' && existing?.phase !== 'false_positive') afterCommit(() => this.falsePositives.add(1, attributes));
    if (joined > 0) afterCommit(() => this.alerts.add(joined, attributes));
    return row;
  }

  /** The first time the incident entered a phase (what an exercise's "triaged by T+15" measures). */
  private async notePhaseEntered(incidentId: string, entered: { phase: string; at: string }, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE reporting.incident_clocks SET phases_entered = phases_entered || jsonb_build_object($2::text, $3::text)
        WHERE incident_id = $1 AND NOT phases_entered ? $2`,
      [incidentId, entered.phase, entered.at],
    );
  }
}
