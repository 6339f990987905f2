import { Controller, Get, Param, ParseUUIDPipe, Query, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HistoryList, IncidentCategory, IncidentPage, IncidentPhase, IncidentSeverity, IncidentView, Timestamp } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, canSeeIncident, decodeCursor, entitiesFromRows, enumList, pageOf, Permit, type Principal, Problem, visibilityCondition, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { normaliseHostname, normaliseIp } from '../assets/normalise';
import { TERMINAL_PHASES } from '../lifecycle/phases';
import { Incident } from '../persistence/incident.entity';
import { IncidentETagInterceptor } from './concurrency';
import { toOneView, toViews } from './incident-views';
import { requireIncident } from './incident-writes';
import { searchQuery } from './search/search-text';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sorts the list offers; each is served by an index in the same order. */
const SORTS = {
  '-createdAt': { column: 'created_at', desc: true },
  createdAt: { column: 'created_at', desc: false },
  '-detectedAt': { column: 'detected_at', desc: true },
  detectedAt: { column: 'detected_at', desc: false },
  '-updatedAt': { column: 'updated_at', desc: true },
  severity: { column: 'severity', desc: false }, // most severe first, then newest
} as const;
type SortName = keyof typeof SORTS;

const ListQuery = z.strictObject({
  phase: enumList(IncidentPhase).optional(),
  open: z.enum(['true', 'false']).optional(),
  severity: enumList(IncidentSeverity).optional(),
  category: enumList(IncidentCategory).optional(),
  assignee: z.string().trim().min(1).max(200).optional(),
  asset: z.string().trim().min(1).max(253).optional(),
  detectedFrom: Timestamp.optional(),
  detectedTo: Timestamp.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  exercise: z.enum(['false', 'true', 'any']).default('false'),
  dedupKey: z.string().min(1).max(255).optional(),
  sort: z.enum(Object.keys(SORTS) as [SortName, ...SortName[]]).default('-createdAt'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});
type ListQuery = z.infer<typeof ListQuery>;

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class IncidentsQueryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('incidents.read')
  @ApiOperation({
    summary: 'List incidents: filter, sort and page by cursor',
    description: 'Exercises are left out unless exercise=true (only exercises) or exercise=any. Filters combine with AND; a list filter (a,b) matches any of its values.',
    operationId: 'listIncidents',
  })
  @ApiQuery({ name: 'phase', required: false, description: `comma-separated phases: ${IncidentPhase.options.join(', ')}` })
  @ApiQuery({ name: 'open', required: false, enum: ['true', 'false'], description: 'true: not closed, false positive or merged' })
  @ApiQuery({ name: 'severity', required: false, description: 'comma-separated: SEV1, SEV2, SEV3, SEV4' })
  @ApiQuery({ name: 'category', required: false, description: `comma-separated: ${IncidentCategory.options.join(', ')}` })
  @ApiQuery({ name: 'assignee', required: false, description: 'the owner or one of the responders' })
  @ApiQuery({ name: 'asset', required: false, description: 'a registered asset: its id, identifier, a hostname or an IP address' })
  @ApiQuery({ name: 'detectedFrom', required: false, description: 'detectedAt at or after (RFC 3339)' })
  @ApiQuery({ name: 'detectedTo', required: false, description: 'detectedAt before (RFC 3339)' })
  @ApiQuery({
    name: 'q',
    required: false,
    description:
      'free text over the title, dedup key, and the observables and assets of its alerts; every term must match: a word the start of a word, ' +
      'a term with punctuation inside (db-01, 10.9.9.9, fs-07.corp.example, a URL) a whole token',
  })
  @ApiQuery({ name: 'exercise', required: false, enum: ['false', 'true', 'any'] })
  @ApiQuery({ name: 'dedupKey', required: false, type: String, description: 'incidents opened by this dedup key (open and past)' })
  @ApiQuery({ name: 'sort', required: false, enum: Object.keys(SORTS), description: 'severity: most severe first, then newest' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, IncidentPage, 'A page of incidents')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>, @Caller() caller: Principal) {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    // Restricted incidents the caller may not see are not listed (nor counted).
    const visible = visibilityCondition(caller, { restricted: 'i.restricted', owner: 'i.owner', responders: 'i.responders' }, params);
    if (visible !== 'TRUE') where.push(visible);
    if (query.phase) where.push(`i.phase = ANY(${p(query.phase)}::text[])`);
    if (query.open) where.push(`i.phase ${query.open === 'true' ? '<>' : '='} ${query.open === 'true' ? 'ALL' : 'ANY'}(${p(TERMINAL_PHASES)}::text[])`);
    if (query.severity) where.push(`i.severity = ANY(${p(query.severity)}::text[])`);
    if (query.category) where.push(`i.category = ANY(${p(query.category)}::text[])`);
    if (query.assignee) {
      const who = p(query.assignee);
      where.push(`(i.owner = ${who} OR i.responders @> ARRAY[${who}]::text[])`);
    }
    if (query.asset) {
      // Spelled as the register stores hosts and addresses (see assets/normalise).
      const asset = p(UUID.test(query.asset) ? query.asset.toLowerCase() : null);
      const name = p(normaliseHostname(query.asset));
      const ip = p(normaliseIp(query.asset));
      where.push(`EXISTS (SELECT 1 FROM triage.incident_assets ia WHERE ia.incident_id = i.id AND ia.asset_id IN (
        SELECT a.id FROM triage.assets a WHERE a.id = ${asset}::uuid OR lower(a.identifier) = ${name} OR a.hostnames @> ARRAY[${name}]::text[] OR a.ips @> ARRAY[${ip}]::text[]))`);
    }
    if (query.detectedFrom) where.push(`i.detected_at >= ${p(query.detectedFrom)}`);
    if (query.detectedTo) where.push(`i.detected_at < ${p(query.detectedTo)}`);
    if (query.q) {
      const tsquery = searchQuery(query.q);
      if (!tsquery) throw Problem.unprocessable([{ pointer: '/q', detail: 'needs at least one letter or digit' }], 'The query cannot be searched for.');
      where.push(`i.search @@ ${p(tsquery)}::tsquery`);
    }
    if (query.exercise !== 'any') where.push(`i.exercise = ${p(query.exercise === 'true')}`);
    if (query.dedupKey) where.push(`i.dedup_key = ${p(query.dedupKey)}`);

    const sort = SORTS[query.sort];
    const dir = sort.desc ? 'DESC' : 'ASC';
    const cmp = sort.desc ? '<' : '>';
    // severity sorts most severe first and, within a severity, newest first (the index's order).
    const order = sort.column === 'severity' ? `i.severity ASC, i.created_at DESC, i.id DESC` : `i.${sort.column} ${dir}, i.id ${dir}`;
    if (query.cursor) {
      const c = decodeCursor(query.cursor, query.sort, sort.column !== 'severity');
      if (sort.column === 'severity') {
        if (!IncidentSeverity.safeParse(c.value).success || !c.at) throw Problem.unprocessable([{ pointer: '/cursor', detail: 'is not a cursor this API returned' }]);
        const v = p(c.value);
        where.push(`(i.severity > ${v} OR (i.severity = ${v} AND (i.created_at, i.id) < (${p(c.at)}::timestamptz, ${p(c.id)}::uuid)))`);
      } else {
        where.push(`(i.${sort.column}, i.id) ${cmp} (${p(c.value)}::timestamptz, ${p(c.id)}::uuid)`);
      }
    }
    // One query: the page's rows, read into entities by the entity's own column list.
    const columns = this.dataSource.getMetadata(Incident).columns;
    const sql = `SELECT ${columns.map((c) => `i.${c.databaseName}`).join(', ')} FROM triage.incidents i ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${p(query.limit + 1)}`;
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(sql, params);
    const incidents = entitiesFromRows(this.dataSource, Incident, rows);
    const { page, nextCursor } = pageOf(incidents, query.limit, (last) =>
      sort.column === 'severity'
        ? { sort: query.sort, value: last.severity, at: last.createdAt.toISOString(), id: last.id }
        : { sort: query.sort, value: (last[sortProperty(sort.column)] as Date).toISOString(), id: last.id },
    );
    return { items: await toViews(this.dataSource, page), nextCursor };
  }

  @Get(':incidentId')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'One incident with its clock (ETag: its version, for If-Match)', operationId: 'getIncident' })
  @ApiJsonResponse(200, IncidentView, 'The incident')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    const incident = await this.dataSource.getRepository(Incident).findOneBy({ id: incidentId });
    if (!incident || !canSeeIncident(caller, incident)) throw Problem.notFound(`Incident ${incidentId}`);
    return toOneView(this.dataSource, incident);
  }

  @Get(':incidentId/history')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Every change to the incident: who, what, when it took effect and why', operationId: 'getIncidentHistory' })
  @ApiJsonResponse(200, HistoryList, 'The history, oldest first')
  @ApiProblems(400, 404, 503)
  async history(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await requireIncident(this.dataSource, incidentId, caller);
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT at, actor, actor_name, actor_email, action, from_phase, to_phase, effective_at, reason, details FROM triage.incident_history WHERE incident_id = $1 ORDER BY id`,
      [incidentId],
    );
    return {
      items: rows.map((r) => ({
        at: (r.at as Date).toISOString(),
        actor: r.actor,
        actorName: r.actor_name ?? null,
        actorEmail: r.actor_email ?? null,
        action: r.action,
        fromPhase: r.from_phase ?? null,
        toPhase: r.to_phase ?? null,
        effectiveAt: r.effective_at ? (r.effective_at as Date).toISOString() : null,
        reason: r.reason ?? null,
        details: r.details ?? null,
      })),
    };
  }
}

function sortProperty(column: string): 'createdAt' | 'detectedAt' | 'updatedAt' {
  return column === 'detected_at' ? 'detectedAt' : column === 'updated_at' ? 'updatedAt' : 'createdAt';
}
