import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IncidentPage, IncidentPhase, IncidentSeverity, IncidentView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Problem, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Incident, toView } from '../persistence/incident.entity';

const ListQuery = z.strictObject({
  phase: IncidentPhase.optional(),
  severity: IncidentSeverity.optional(),
  exercise: z.enum(['true', 'false']).optional(),
  dedupKey: z.string().min(1).max(255).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

interface Cursor {
  createdAt: string;
  id: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (typeof c.createdAt === 'string' && typeof c.id === 'string' && !Number.isNaN(Date.parse(c.createdAt))) return c;
  } catch {
    /* fall through */
  }
  throw Problem.validation([{ pointer: '/cursor', detail: 'is not a cursor this API returned' }], 'The query is not valid.');
}

@ApiTags('incidents')
@Controller('v1/incidents')
export class IncidentsQueryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'List incidents, newest first, by cursor', operationId: 'listIncidents' })
  @ApiQuery({ name: 'phase', required: false, enum: IncidentPhase.options })
  @ApiQuery({ name: 'severity', required: false, enum: IncidentSeverity.options })
  @ApiQuery({ name: 'exercise', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'dedupKey', required: false, type: String, description: 'incidents of this dedup key (open and past)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, IncidentPage, 'A page of incidents')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>) {
    const qb = this.dataSource.getRepository(Incident).createQueryBuilder('i');
    if (query.phase) qb.andWhere('i.phase = :phase', { phase: query.phase });
    if (query.severity) qb.andWhere('i.severity = :severity', { severity: query.severity });
    if (query.dedupKey) qb.andWhere('i.dedupKey = :dedupKey', { dedupKey: query.dedupKey });
    if (query.exercise) qb.andWhere('i.exercise = :exercise', { exercise: query.exercise === 'true' });
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      qb.andWhere('(i.createdAt, i.id) < (:createdAt, :id)', { createdAt: c.createdAt, id: c.id });
    }
    const rows = await qb.orderBy('i.createdAt', 'DESC').addOrderBy('i.id', 'DESC').take(query.limit + 1).getMany();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toView),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  @Get(':incidentId')
  @ApiOperation({ summary: 'One incident with its clock', operationId: 'getIncident' })
  @ApiJsonResponse(200, IncidentView, 'The incident')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string) {
    const incident = await this.dataSource.getRepository(Incident).findOneBy({ id: incidentId });
    if (!incident) throw Problem.notFound(`Incident ${incidentId}`);
    return toView(incident);
  }
}
