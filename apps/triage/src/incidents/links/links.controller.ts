import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IncidentLinkedV1, LinkIncident, LinkList } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, canSeeIncident, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { recordHistory } from '../../lifecycle/record-change';
import { Incident } from '../../persistence/incident.entity';
import { lockIncidents, publishIncidentEvent, requireIncident } from '../incident-writes';

/** How the other side sees a link. */
const INVERSE: Record<string, string> = { related: 'related', duplicate: 'duplicate', caused_by: 'causes', causes: 'caused_by' };

interface LinkRow {
  linked_incident_id: string;
  relation: string;
  created_by: string;
  created_at: Date;
}

async function linksOf(manager: Pick<EntityManager, 'query'>, incidentId: string) {
  const rows: LinkRow[] = await manager.query(
    `SELECT linked_incident_id, relation, created_by, created_at FROM triage.incident_links WHERE incident_id = $1 ORDER BY created_at, linked_incident_id`,
    [incidentId],
  );
  return { items: rows.map((r) => ({ incidentId: r.linked_incident_id, relation: r.relation, createdBy: r.created_by, createdAt: r.created_at.toISOString() })) };
}

/** Links are annotations kept on both incidents; like notes they need no If-Match. */
@ApiTags('incidents')
@Controller('v1/incidents/:incidentId/links')
export class LinksController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('incidents.annotate')
  @ApiOperation({ summary: 'Link a related incident (kept on both; linking again changes nothing)', operationId: 'linkIncident' })
  @ApiJsonBody(LinkIncident)
  @ApiJsonResponse(201, LinkList, 'The links of this incident')
  @ApiProblems(400, 404, 409, 503)
  async link(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(LinkIncident)) body: LinkIncident, @Caller() caller: Principal) {
    const other = body.incidentId.toLowerCase();
    if (other === incidentId.toLowerCase()) throw Problem.unprocessable([{ pointer: '/incidentId', detail: 'an incident cannot be linked to itself' }]);
    return this.dataSource.transaction(async (manager) => {
      const locked = await lockIncidents(manager, [incidentId, other]);
      // A restricted incident the caller may not see does not exist for them, on either side.
      const self = locked.find((i) => i.id === incidentId && canSeeIncident(caller, i));
      const that = locked.find((i) => i.id === other && canSeeIncident(caller, i));
      if (!self) throw Problem.notFound(`Incident ${incidentId}`);
      if (!that) throw Problem.unprocessable([{ pointer: '/incidentId', detail: `incident ${other} does not exist` }]);
      if (self.exercise !== that.exercise) {
        throw new Problem(409, 'Exercise and real incidents are kept apart', 'An exercise incident cannot be linked to a real one.');
      }
      const inserted: Array<{ incident_id: string }> = await manager.query(
        `INSERT INTO triage.incident_links (incident_id, linked_incident_id, relation, created_by, created_at)
         VALUES ($1, $2, $3, $5, now()), ($2, $1, $4, $5, now()) ON CONFLICT DO NOTHING RETURNING incident_id`,
        [self.id, that.id, body.relation, INVERSE[body.relation], caller.subject],
      );
      if (inserted.length > 0) {
        for (const [incident, linked, relation] of [
          [self, that, body.relation],
          [that, self, INVERSE[body.relation]],
        ] as Array<[Incident, Incident, string]>) {
          await recordHistory(manager, incident.id, { actor: caller, action: 'linked', reason: body.reason ?? null, details: { linkedIncidentId: linked.id, relation } });
          await publishIncidentEvent(manager, IncidentLinkedV1, incident, { linkedIncidentId: linked.id, relation, actor: caller.subject, reason: body.reason ?? null });
        }
      }
      return linksOf(manager, self.id);
    });
  }

  @Get()
  @Permit('incidents.read')
  @ApiOperation({ summary: 'The incidents linked to this one', operationId: 'listIncidentLinks' })
  @ApiJsonResponse(200, LinkList, 'The links')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await requireIncident(this.dataSource, incidentId, caller);
    return linksOf(this.dataSource, incidentId);
  }
}
