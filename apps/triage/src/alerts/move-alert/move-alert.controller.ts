import { Body, Controller, Headers, Inject, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IncidentAlertAttachedV1, IncidentAlertDetachedV1, MoveAlert } from '@vigil/contracts';
import { Caller, canSeeIncident, CONFIG, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { matchAssets, mostCritical, smallestRecoveryTimeObjective } from '../../assets';
import type { TriageConfig } from '../../config';
import { correlationKeys } from '../../correlation/correlation-keys';
import { loadCorrelationRules } from '../../correlation/rules/correlation-rules';
import { registerKeys } from '../../correlation/triage-alert';
import { assertVersion, expectedVersion, IncidentETagInterceptor } from '../../incidents/concurrency';
import { IncidentChangeRoute } from '../../incidents/incident-change-route';
import { countOccurrence, linkAssets, lockIncidents, publishIncidentEvent, saveIncident } from '../../incidents/incident-writes';
import { toOneView } from '../../incidents/incident-views';
import { extendSearch } from '../../incidents/search/incident-search';
import { alertSearchTerms, termLexemes } from '../../incidents/search/search-text';
import { TERMINAL_PHASES } from '../../lifecycle/phases';
import { recordHistory } from '../../lifecycle/record-change';
import { readAlert, receivedAlertOf } from '../alert-rows';

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class MoveAlertController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: TriageConfig,
  ) {}

  @IncidentChangeRoute(':incidentId/alerts', {
    permission: 'incidents.merge',
    operation: {
      summary: 'Move an alert from another incident into this one',
      description:
        'The alert and its occurrences leave its incident and count here; both incidents record who moved it and why. ' +
        'An incident\'s only alert cannot be moved (merge the incident instead); both incidents must be open and of the same kind (exercise or real).',
      operationId: 'moveAlertToIncident',
    },
    body: MoveAlert,
    response: 'This incident, with the alert',
    conflicts: true,
  })
  async move(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(MoveAlert)) body: MoveAlert,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const expected = expectedVersion(ifMatch);
    return this.dataSource.transaction(async (manager) => {
      const seen = await readAlert(manager, body.alertId);
      if (!seen) throw Problem.unprocessable([{ pointer: '/alertId', detail: `alert ${body.alertId} does not exist` }]);
      if (seen.disposition !== 'attached' || !seen.incident_id) {
        throw new Problem(409, 'Alert not in an incident', `Alert ${body.alertId} is ${seen.disposition}; promote it with POST /v1/alerts/${body.alertId}/promote.`);
      }
      const fromId = seen.incident_id;
      // Incidents first, then the alert: the order every writer takes, so none deadlock.
      const locked = await lockIncidents(manager, [...new Set([fromId, incidentId])]);
      const target = locked.find((i) => i.id === incidentId);
      if (!target || !canSeeIncident(caller, target)) throw Problem.notFound(`Incident ${incidentId}`);
      // An alert of a restricted incident the caller may not see does not exist for them.
      if (!canSeeIncident(caller, locked.find((i) => i.id === fromId))) throw Problem.unprocessable([{ pointer: '/alertId', detail: `alert ${body.alertId} does not exist` }]);
      assertVersion(target.version, expected, `Incident ${incidentId}`);
      const alert = (await readAlert(manager, body.alertId, true))!;
      if (alert.incident_id !== fromId) throw new Problem(409, 'Alert moved meanwhile', `Alert ${body.alertId} was moved while this request ran; read it again.`);
      if (fromId === incidentId) return toOneView(manager, target);
      const source = locked.find((i) => i.id === fromId)!;
      const final = [source, target].filter((i) => TERMINAL_PHASES.includes(i.phase));
      if (final.length) throw new Problem(409, 'Incident is final', `Incident ${final.map((i) => `${i.id} is ${i.phase}`).join('; ')}: alerts move only between open incidents.`);
      if (source.exercise !== target.exercise) throw new Problem(409, 'Exercise and real incidents are kept apart', 'An alert cannot move between an exercise and a real incident.');
      const [{ others }] = await manager.query(`SELECT count(*)::int AS others FROM triage.alerts WHERE incident_id = $1 AND alert_id <> $2`, [fromId, alert.alert_id]);
      if (others === 0) throw new Problem(409, 'Only alert of its incident', `Alert ${alert.alert_id} is the only alert of incident ${fromId}; merge that incident instead.`);

      await manager.query(`UPDATE triage.alerts SET incident_id = $2, correlated_by = 'moved', attached_at = now() WHERE alert_id = $1`, [alert.alert_id, incidentId]);
      source.alertCount -= alert.occurrences;
      source.version += 1;
      source.updatedAt = new Date();
      await saveIncident(manager, source);
      const received = receivedAlertOf(alert);
      const assets = await matchAssets(manager, received.assets);
      await countOccurrence(
        manager,
        target,
        { severity: alert.severity, category: alert.category, occurredAt: received.occurredAt, receivedAt: received.receivedAt, assetCriticality: mostCritical(assets), recoveryTimeObjectiveMinutes: smallestRecoveryTimeObjective(assets), count: alert.occurrences },
        this.config.TRIAGE_SEVERITY_MATRIX,
      );
      // The alert's keys now lead to this incident; its dedup key leaves the old one unless another alert there shares it.
      const keys = correlationKeys(received, await loadCorrelationRules(manager), assets.map((a) => a.assetId));
      await registerKeys(manager, incidentId, keys, alert.received_at.toISOString());
      await manager.query(
        `DELETE FROM triage.incident_keys k WHERE k.incident_id = $1 AND k.kind = 'dedup_key' AND k.key = $2
           AND NOT EXISTS (SELECT 1 FROM triage.alerts a WHERE a.incident_id = $1 AND a.dedup_key = $3)`,
        [fromId, keys.find((k) => k.kind === 'dedup_key')!.key, alert.dedup_key],
      );
      await linkAssets(manager, incidentId, assets.map((a) => a.assetId));
      await extendSearch(manager, incidentId, termLexemes(alertSearchTerms(received, assets)));
      const ref = { alertId: alert.alert_id, dedupKey: alert.dedup_key, title: alert.title, source: alert.source, receivedAt: alert.received_at.toISOString() };
      const details = { alertId: alert.alert_id, from: fromId, to: incidentId, occurrences: alert.occurrences };
      await recordHistory(manager, fromId, { actor: caller, action: 'alert_moved_out', reason: body.reason, details });
      await recordHistory(manager, incidentId, { actor: caller, action: 'alert_moved_in', reason: body.reason, details });
      await publishIncidentEvent(manager, IncidentAlertDetachedV1, source, { alert: ref, movedTo: incidentId, actor, reason: body.reason });
      await publishIncidentEvent(manager, IncidentAlertAttachedV1, target, { alert: ref, correlatedBy: 'moved', movedFrom: fromId, actor });
      return toOneView(manager, target);
    });
  }
}
