import { Injectable } from '@nestjs/common';
import { metrics, type Counter, type Histogram } from '@opentelemetry/api';
import { IncidentAlertAttachedV1, IncidentOpenedV1, IncidentPhaseChangedV1, type CloudEvent, type EventData, type IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { IncidentClock } from '../../persistence/entities';
import { MTTX_DEFINITIONS, newlyKnown, type MttxName } from './mttx';

/** An alert that opened an incident or joined one by correlation (not moved or merged in: counted already). */
function joinsAnAlert(event: CloudEvent): boolean {
  if (event.type === IncidentOpenedV1.type) return true;
  if (event.type !== IncidentAlertAttachedV1.type) return false;
  const d = event.data as EventData<typeof IncidentAlertAttachedV1>;
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

  async project(event: CloudEvent, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const snapshot = (event.data as { incident: IncidentSnapshot }).incident;
    const repo = manager.getRepository(IncidentClock);
    const existing = await repo.findOne({ where: { incidentId: snapshot.incidentId }, lock: { mode: 'pessimistic_write' } });
    const phaseChange = event.type === IncidentPhaseChangedV1.type;
    if (existing && existing.version >= snapshot.version) {
      // A stale or replayed snapshot changes nothing, but the phase it entered still counts (first time wins).
      if (phaseChange) await this.notePhaseEntered(event, manager);
      return;
    }
    const t = snapshot.timestamps;
    const toDate = (v: string | null) => (v ? new Date(v) : null);
    await repo.save({
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
    });
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
    if (joinsAnAlert(event)) afterCommit(() => this.alerts.add(1, attributes));
    if (phaseChange) await this.notePhaseEntered(event, manager);
  }

  /** The first time the incident entered a phase (what an exercise's "triaged by T+15" measures). */
  private async notePhaseEntered(event: CloudEvent, manager: EntityManager): Promise<void> {
    const d = event.data as EventData<typeof IncidentPhaseChangedV1>;
    await manager.query(
      `UPDATE reporting.incident_clocks SET phases_entered = phases_entered || jsonb_build_object($2::text, $3::text)
        WHERE incident_id = $1 AND NOT phases_entered ? $2`,
      [d.incident.incidentId, d.to, event.time],
    );
  }
}
