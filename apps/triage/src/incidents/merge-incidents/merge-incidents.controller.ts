import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IncidentMergedV1, IncidentPhaseChangedV1, MergeIncidents } from '@vigil/contracts';
import { Caller, canSeeIncident, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { moreCritical, mostSevere, worseFunctionalImpact } from '../../classification/severity-matrix';
import { TERMINAL_PHASES } from '../../lifecycle/phases';
import { recordHistory } from '../../lifecycle/record-change';
import type { Incident } from '../../persistence/incident.entity';
import { assertVersion, expectedVersion, IncidentETagInterceptor } from '../concurrency';
import { IncidentChangeRoute } from '../incident-change-route';
import { lockIncidents, publishIncidentEvent, saveIncident, smallerRecoveryTimeObjective } from '../incident-writes';
import { toOneView } from '../incident-views';
import { absorbSearch } from '../search/incident-search';

const earlier = (a: Date | null, b: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b));

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class MergeIncidentsController {
  constructor(private readonly dataSource: DataSource) {}

  @IncidentChangeRoute(':incidentId/merge', {
    permission: 'incidents.merge',
    operation: {
      summary: 'Merge other incidents into this one',
      description:
        'Their alerts move here (each alert stays in exactly one incident, its occurrences counted once), as do their correlation keys, ' +
        'assets and responders; the clock keeps the earliest occurrence, detection and acknowledgement. The merged incidents end in phase ' +
        'merged, pointing here (mergedInto), with their notes and history kept. All must be open and of the same kind (exercise or real).',
      operationId: 'mergeIncidents',
    },
    body: MergeIncidents,
    response: 'This incident after the merge',
    conflicts: true,
  })
  async merge(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(MergeIncidents)) body: MergeIncidents,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const expected = expectedVersion(ifMatch);
    const sourceIds = [...new Set(body.incidentIds.map((id) => id.toLowerCase()))];
    if (sourceIds.includes(incidentId.toLowerCase())) throw Problem.unprocessable([{ pointer: '/incidentIds', detail: 'an incident cannot be merged into itself' }]);
    return this.dataSource.transaction(async (manager) => {
      // Incidents the caller may not see (restricted) do not exist for them.
      const locked = (await lockIncidents(manager, [incidentId, ...sourceIds])).filter((i) => canSeeIncident(caller, i));
      const target = locked.find((i) => i.id === incidentId);
      if (!target) throw Problem.notFound(`Incident ${incidentId}`);
      assertVersion(target.version, expected, `Incident ${incidentId}`);
      const missing = sourceIds.filter((id) => !locked.some((i) => i.id === id));
      if (missing.length) throw Problem.unprocessable(missing.map((id) => ({ pointer: `/incidentIds/${sourceIds.indexOf(id)}`, detail: `incident ${id} does not exist` })));
      const sources = sourceIds.map((id) => locked.find((i) => i.id === id)!);
      const final = [target, ...sources].filter((i) => TERMINAL_PHASES.includes(i.phase));
      if (final.length) {
        throw new Problem(409, 'Incident is final', `Only open incidents merge: ${final.map((i) => `${i.id} is ${i.phase}`).join('; ')}.`, {
          finalIncidents: final.map((i) => ({ incidentId: i.id, phase: i.phase })),
        });
      }
      if (sources.some((s) => s.exercise !== target.exercise)) throw new Problem(409, 'Exercise and real incidents are kept apart', 'An exercise incident cannot be merged with a real one.');

      const now = new Date();
      let alertsMoved = 0;
      for (const source of sources) {
        const [{ moved }]: Array<{ moved: number }> = await manager.query(
          `WITH moved AS (UPDATE triage.alerts SET incident_id = $2, correlated_by = 'merged', attached_at = now() WHERE incident_id = $1 RETURNING 1)
           SELECT count(*)::int AS moved FROM moved`,
          [source.id, target.id],
        );
        alertsMoved += moved;
        await manager.query(
          `INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at)
           SELECT kind, key, $2, last_seen_at FROM triage.incident_keys WHERE incident_id = $1
           ON CONFLICT (kind, key, incident_id) DO UPDATE SET last_seen_at = GREATEST(triage.incident_keys.last_seen_at, EXCLUDED.last_seen_at)`,
          [source.id, target.id],
        );
        await manager.query(`DELETE FROM triage.incident_keys WHERE incident_id = $1`, [source.id]);
        await manager.query(
          `INSERT INTO triage.incident_assets (incident_id, asset_id) SELECT $2, asset_id FROM triage.incident_assets WHERE incident_id = $1 ON CONFLICT DO NOTHING`,
          [source.id, target.id],
        );
        await absorbSearch(manager, target.id, source.id);
        absorb(target, source);
        const from = source.phase;
        source.phase = 'merged';
        source.mergedInto = target.id;
        source.version += 1;
        source.updatedAt = now;
        await saveIncident(manager, source);
        await recordHistory(manager, source.id, {
          actor: caller,
          action: 'merged_into',
          fromPhase: from,
          toPhase: 'merged',
          reason: body.reason,
          details: { into: target.id, alertsMoved: moved },
        });
        await publishIncidentEvent(manager, IncidentPhaseChangedV1, source, { from, to: 'merged', actor, reason: `merged into ${target.id}: ${body.reason}` });
      }
      target.version += 1;
      target.updatedAt = now;
      await saveIncident(manager, target);
      await recordHistory(manager, target.id, { actor: caller, action: 'merged', reason: body.reason, details: { mergedIncidentIds: sourceIds, alertsMoved } });
      await publishIncidentEvent(manager, IncidentMergedV1, target, { mergedIncidentIds: sourceIds, alertsMoved, actor, reason: body.reason });
      return toOneView(manager, target);
    });
  }
}

/** What the target takes from a merged incident: its occurrences, earliest times, people and (unless an analyst classified the target) its worse impact. */
function absorb(target: Incident, source: Incident): void {
  target.alertCount += source.alertCount;
  if (!target.clockNotes.occurredAt) target.occurredAt = earlier(target.occurredAt, source.occurredAt)!;
  if (!target.clockNotes.detectedAt) target.detectedAt = earlier(target.detectedAt, source.detectedAt)!;
  if (!target.clockNotes.acknowledgedAt) target.acknowledgedAt = earlier(target.acknowledgedAt, source.acknowledgedAt);
  target.owner ??= source.owner;
  // What was restricted stays restricted: merging must not open it to everyone.
  target.restricted ||= source.restricted;
  target.responders = [...new Set([...target.responders, ...source.responders, ...(source.owner && source.owner !== target.owner ? [source.owner] : [])])];
  target.assetCriticality = moreCritical(target.assetCriticality, source.assetCriticality);
  target.recoveryTimeObjectiveMinutes = smallerRecoveryTimeObjective(target.recoveryTimeObjectiveMinutes, source.recoveryTimeObjectiveMinutes);
  if (!target.classifiedBy) {
    target.functionalImpact = worseFunctionalImpact(target.functionalImpact, source.functionalImpact);
    if (target.category === 'other') target.category = source.category;
    target.severity = mostSevere(target.severity, source.severity);
  }
}
