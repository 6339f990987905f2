import { Inject, Injectable } from '@nestjs/common';
import type { AlertReceivedV1, CorrelationReason, EventData } from '@vigil/contracts';
import { statementBuilder, type Bind } from '@vigil/messaging';
import { CONFIG } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import type { TriageConfig } from '../config';
import type { CorrelationKey } from './correlation-keys';
import { placeRun, type PlacementSettings } from './place-run';

export type AlertReceived = EventData<typeof AlertReceivedV1>;

export type TriageOutcome =
  | { disposition: 'attached'; incidentId: string; correlatedBy: CorrelationReason; opened: boolean }
  | { disposition: 'pending' }
  | { disposition: 'suppressed'; ruleId: string };

export interface Promotion {
  actor: string;
  /** Occurrences the alert gathered while it waited. */
  occurrences: number;
}

/**
 * Decides where an alert goes, in the consumer's transaction:
 * 1. a suppression rule in force when it was received → recorded as suppressed, counted, no incident;
 * 2. it names an open incident (label vigil_incident), or shares a key with one (same dedup key,
 *    Alertmanager group, asset and category within the window, observable within the window)
 *    → attached to it;
 * 3. below the severity threshold → waits as an alert until an analyst promotes it;
 * 4. it names a registered asset or an observable of an incident under recovery watch (recovered
 *    or post-incident, its watch not over when the alert was received) → attached to it as a
 *    recurrence, which is flagged on the incident and pages its owner;
 * 5. otherwise → opens an incident, classified from the alert and the asset register.
 * The alerts' correlation keys are locked first, so two alerts sharing a key — read from different
 * partitions by different replicas — never open two incidents. A run of alerts is placed set-wise
 * (place-run.ts) with the decisions one-by-one placement would make; one alert is a run of one.
 */
@Injectable()
export class AlertTriage {
  constructor(@Inject(CONFIG) private readonly config: TriageConfig) {}

  private get settings(): PlacementSettings {
    return {
      matrix: this.config.TRIAGE_SEVERITY_MATRIX,
      openFrom: this.config.TRIAGE_OPEN_INCIDENTS_FROM,
      recoveryWatchDays: this.config.TRIAGE_RECOVERY_WATCH_DAYS,
    };
  }

  /** One alert (or, with `promotion`, an analyst promoting a waiting one). */
  async triage(manager: EntityManager, alert: AlertReceived, promotion?: Promotion): Promise<TriageOutcome> {
    const [outcome] = await placeRun(manager, [{ alert, promotion }], this.settings);
    return outcome;
  }

  /** A run of received alerts, in order, in one transaction. */
  async placeRun(manager: EntityManager, alerts: readonly AlertReceived[], alsoLock: readonly string[] = []): Promise<TriageOutcome[]> {
    return placeRun(
      manager,
      alerts.map((alert) => ({ alert })),
      this.settings,
      { alsoLock },
    );
  }
}

/** Registers keys for an incident, or moves their last sighting on. */
function registerKeysSql(incidentId: string, seenAt: string, keys: readonly CorrelationKey[], bind: Bind): string {
  return `INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at)
   SELECT kind, key, ${incidentId}::uuid, ${seenAt}::timestamptz FROM unnest(${bind(keys.map((k) => k.kind))}::text[], ${bind(keys.map((k) => k.key))}::text[]) AS t(kind, key)
   ON CONFLICT (kind, key, incident_id) DO UPDATE SET last_seen_at = GREATEST(triage.incident_keys.last_seen_at, EXCLUDED.last_seen_at)`;
}

export async function registerKeys(manager: EntityManager, incidentId: string, keys: readonly CorrelationKey[], seenAt: string): Promise<void> {
  if (keys.length === 0) return;
  const { bind, params } = statementBuilder();
  await manager.query(registerKeysSql(bind(incidentId), bind(seenAt), keys, bind), params);
}
