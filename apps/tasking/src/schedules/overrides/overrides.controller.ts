import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CreateOverride, OverrideList, OverrideView, Timestamp } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { assertPeopleExist } from '../../roster/roster-checks';
import { effectiveFromOf, scheduleOr404 } from '../schedule-checks';
import { overridesOf, toOverrideView, type OverrideRow } from '../schedule-store';

const ListQuery = z.strictObject({ from: Timestamp.optional(), to: Timestamp.optional() });

/**
 * Someone covers a window of a schedule (a swap, a sick day): an override beats every layer.
 * Like revisions, overrides are made for now or later, and cancelling one that has begun ends it
 * now rather than erasing the part that was served.
 */
@ApiTags('schedules')
@Controller('v1/schedules/:scheduleId/overrides')
export class OverridesController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Put someone on call for a window (now or later)', operationId: 'createOverride' })
  @ApiJsonBody(CreateOverride)
  @ApiJsonResponse(201, OverrideView, 'The override')
  @ApiProblems(400, 404, 503)
  async create(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Body(new ZodPipe(CreateOverride)) body: CreateOverride, @Caller() caller: Principal) {
    const now = Date.now();
    const start = effectiveFromOf(body.start, now, '/start');
    const row = await this.dataSource.transaction(async (m) => {
      await scheduleOr404(m, scheduleId);
      await assertPeopleExist(m, [{ id: body.personId, pointer: '/personId' }]);
      const id = randomUUID();
      await m.query(
        `INSERT INTO tasking.schedule_overrides (id, schedule_id, person_id, starts_at, ends_at, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, scheduleId, body.personId, new Date(start), new Date(body.end), body.reason ?? null, new Date(now), caller.subject],
      );
      return (await overridesOf(m, scheduleId)).find((o) => o.id === id)!;
    });
    return toOverrideView(row);
  }

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Overrides of a schedule that overlap a window (default: from now on)', operationId: 'listOverrides' })
  @ApiQuery({ name: 'from', required: false, type: String })
  @ApiQuery({ name: 'to', required: false, type: String })
  @ApiJsonResponse(200, OverrideList, 'The overrides, cancelled ones included')
  @ApiProblems(400, 404, 503)
  async list(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>) {
    await scheduleOr404(this.dataSource, scheduleId, true);
    const from = query.from ? Date.parse(query.from) : Date.now();
    const to = query.to ? Date.parse(query.to) : Number.POSITIVE_INFINITY;
    const rows = (await overridesOf(this.dataSource, scheduleId)).filter((o) => o.ends_at.getTime() > from && o.starts_at.getTime() < to);
    return { items: rows.map(toOverrideView) };
  }

  @Delete(':overrideId')
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Cancel an override: one not yet begun is void, one under way ends now, one over is left as it was (409)', operationId: 'cancelOverride' })
  @ApiJsonResponse(200, OverrideView, 'The override, cancelled')
  @ApiProblems(400, 404, 409, 503)
  async cancel(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Param('overrideId', new ParseUUIDPipe()) overrideId: string, @Caller() caller: Principal) {
    const row = await this.dataSource.transaction(async (m) => {
      const [o]: OverrideRow[] = await m.query(`SELECT * FROM tasking.schedule_overrides WHERE id = $1 AND schedule_id = $2 FOR UPDATE`, [overrideId, scheduleId]);
      if (!o) throw Problem.notFound(`Override ${overrideId}`);
      if (o.cancelled_at) throw new Problem(409, 'Conflict', 'The override is already cancelled.');
      if (o.ends_at.getTime() <= Date.now()) throw new Problem(409, 'Conflict', 'The override is over: it is part of the record of who was on call.');
      await m.query(`UPDATE tasking.schedule_overrides SET cancelled_at = now(), cancelled_by = $2 WHERE id = $1`, [overrideId, caller.subject]);
      return (await overridesOf(m, scheduleId)).find((x) => x.id === overrideId)!;
    });
    return toOverrideView(row);
  }
}
