import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateSchedule, PreviewRevision, ReviseSchedule, RevisionList, RevisionPreview, RevisionView, ScheduleList, ScheduleView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { diffShifts } from '../engine/schedule-engine';
import { effectiveFromOf, scheduleOr404, validateDefinition } from '../schedule-checks';
import { loadEngine, namedPeople, revisionsOf, shiftView, toRevisionView, toScheduleView, type RevisionRow, type ScheduleRow } from '../schedule-store';

const WEEK = 7 * 86_400_000;

/**
 * On-call schedules. A schedule's definition (layers of rotations) changes only by a new revision
 * that takes effect at a stated time, now or later; earlier revisions stay as they were, so who
 * was on call in the past is never rewritten. A change can be previewed first: the windows over
 * the next weeks in which someone else would be on call.
 */
@ApiTags('schedules')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Create a schedule; its first revision is in force from now', operationId: 'createSchedule' })
  @ApiJsonBody(CreateSchedule)
  @ApiJsonResponse(201, ScheduleView, 'The schedule')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(CreateSchedule)) body: CreateSchedule, @Caller() caller: Principal) {
    const now = new Date();
    const id = randomUUID();
    const [schedule, revisions] = await this.dataSource.transaction(async (m) => {
      await validateDefinition(m, body.definition);
      const [row]: ScheduleRow[] = await m.query(
        `INSERT INTO tasking.schedules (id, name, description, time_zone, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [id, body.name, body.description ?? null, body.timeZone, now, caller.subject],
      );
      const revs: RevisionRow[] = await m.query(
        `INSERT INTO tasking.schedule_revisions (schedule_id, revision, effective_from, definition, created_at, created_by, reason) VALUES ($1, 1, $2, $3, $2, $4, $5) RETURNING *`,
        [id, now, JSON.stringify(body.definition), caller.subject, 'created'],
      );
      return [row, revs] as const;
    });
    return toScheduleView(schedule, revisions, now.getTime());
  }

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Schedules, by name, each with the revision in force and those to come', operationId: 'listSchedules' })
  @ApiJsonResponse(200, ScheduleList, 'The schedules')
  @ApiProblems(503)
  async list() {
    const schedules: ScheduleRow[] = await this.dataSource.query(`SELECT * FROM tasking.schedules WHERE archived_at IS NULL ORDER BY name, id`);
    const revisions: RevisionRow[] = schedules.length
      ? await this.dataSource.query(`SELECT * FROM tasking.schedule_revisions WHERE schedule_id = ANY($1::uuid[]) ORDER BY revision`, [schedules.map((s) => s.id)])
      : [];
    return { items: schedules.map((s) => toScheduleView(s, revisions.filter((r) => r.schedule_id === s.id))) };
  }

  @Get(':scheduleId')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'One schedule', operationId: 'getSchedule' })
  @ApiJsonResponse(200, ScheduleView, 'The schedule')
  @ApiProblems(400, 404, 503)
  async get(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string) {
    const schedule = await scheduleOr404(this.dataSource, scheduleId);
    return toScheduleView(schedule, await revisionsOf(this.dataSource, scheduleId));
  }

  @Delete(':scheduleId')
  @Permit('oncall.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Archive a schedule: an escalation step naming it then pages nobody for it, and says so', operationId: 'archiveSchedule' })
  @ApiProblems(400, 404, 503)
  async archive(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string) {
    await this.dataSource.transaction(async (m) => {
      await scheduleOr404(m, scheduleId);
      await m.query(`UPDATE tasking.schedules SET archived_at = now() WHERE id = $1`, [scheduleId]);
    });
  }

  @Get(':scheduleId/revisions')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Every revision of a schedule, oldest first: its history', operationId: 'listScheduleRevisions' })
  @ApiJsonResponse(200, RevisionList, 'The revisions')
  @ApiProblems(400, 404, 503)
  async revisions(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string) {
    await scheduleOr404(this.dataSource, scheduleId, true);
    return { items: (await revisionsOf(this.dataSource, scheduleId)).map(toRevisionView) };
  }

  @Post(':scheduleId/revisions')
  @Permit('oncall.write')
  @ApiOperation({
    summary: 'Change a schedule from a given time on (default now; never earlier)',
    description: 'Adds a revision; nothing before its effective time changes. A revision already stored for a later time still takes over at its own time.',
    operationId: 'reviseSchedule',
  })
  @ApiJsonBody(ReviseSchedule)
  @ApiJsonResponse(201, RevisionView, 'The new revision')
  @ApiProblems(400, 404, 503)
  async revise(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Body(new ZodPipe(ReviseSchedule)) body: ReviseSchedule, @Caller() caller: Principal) {
    const now = Date.now();
    const effectiveFrom = effectiveFromOf(body.effectiveFrom, now);
    const [row]: RevisionRow[] = await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT 1 FROM tasking.schedules WHERE id = $1 AND archived_at IS NULL FOR UPDATE`, [scheduleId]);
      await scheduleOr404(m, scheduleId);
      await validateDefinition(m, body.definition);
      return m.query(
        `INSERT INTO tasking.schedule_revisions (schedule_id, revision, effective_from, definition, created_at, created_by, reason)
         SELECT $1, coalesce(max(revision), 0) + 1, $2, $3, $4, $5, $6 FROM tasking.schedule_revisions WHERE schedule_id = $1 RETURNING *`,
        [scheduleId, new Date(effectiveFrom), JSON.stringify(body.definition), new Date(now), caller.subject, body.reason ?? null],
      );
    });
    return toRevisionView(row);
  }

  @Post(':scheduleId/revisions::preview')
  @HttpCode(200)
  @Permit('oncall.read')
  @ApiOperation({
    summary: 'Preview a change before applying it: who would be on call over the next weeks, and every window that would differ',
    operationId: 'previewScheduleRevision',
  })
  @ApiJsonBody(PreviewRevision)
  @ApiJsonResponse(200, RevisionPreview, 'The shifts before and after, and what changes')
  @ApiProblems(400, 404, 503)
  async preview(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Body(new ZodPipe(PreviewRevision)) body: PreviewRevision) {
    const now = Date.now();
    const effectiveFrom = effectiveFromOf(body.effectiveFrom, now);
    await scheduleOr404(this.dataSource, scheduleId);
    await validateDefinition(this.dataSource, body.definition);
    const from = now;
    const to = Math.max(now, effectiveFrom) + body.weeks * WEEK;
    const before = await loadEngine(this.dataSource, scheduleId);
    const after = await loadEngine(this.dataSource, scheduleId, { revision: Number.MAX_SAFE_INTEGER, effectiveFrom, definition: body.definition });
    const beforeShifts = before.engine.shifts(from, to);
    const afterShifts = after.engine.shifts(from, to);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      effectiveFrom: new Date(effectiveFrom).toISOString(),
      changes: diffShifts(beforeShifts, afterShifts, from, to).map((c) => ({
        start: new Date(c.start).toISOString(),
        end: new Date(c.end).toISOString(),
        before: namedPeople(c.before, before.people),
        after: namedPeople(c.after, after.people),
      })),
      before: beforeShifts.map((s) => shiftView(s, before.people)),
      after: afterShifts.map((s) => shiftView(s, after.people)),
    };
  }
}
