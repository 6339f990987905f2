import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CoverageReport, OnCallView, ShiftList, Timestamp } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Permit, Problem, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { scheduleOr404 } from '../schedule-checks';
import { loadEngine, namedPeople, shiftView, sourceView } from '../schedule-store';

const DAY = 86_400_000;
const AtQuery = z.strictObject({ at: Timestamp.optional().describe('default: now') });
const WindowQuery = z
  .strictObject({ from: Timestamp.optional(), to: Timestamp.optional(), days: z.coerce.number().int().min(1).max(366).optional() })
  .describe('from (default now) to `to`, or `days` after from (default 28)');

function windowOf(q: z.infer<typeof WindowQuery>): { from: number; to: number } {
  const from = q.from ? Date.parse(q.from) : Date.now();
  const to = q.to ? Date.parse(q.to) : from + (q.days ?? 28) * DAY;
  if (to <= from) throw Problem.unprocessable([{ pointer: '/to', detail: 'must be after from' }], 'The query cannot be answered.');
  if (to - from > 366 * DAY) throw Problem.unprocessable([{ pointer: '/to', detail: 'at most a year after from' }], 'The query cannot be answered.');
  return { from, to };
}

/** Who is on call, now or at any instant, over a window, and where nobody (or more than one layer) is. */
@ApiTags('schedules')
@Controller('v1/schedules/:scheduleId')
export class OnCallController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('on-call')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Who is on call at an instant (default now), past or future, and the shift it falls in', operationId: 'whoIsOnCall' })
  @ApiQuery({ name: 'at', required: false, type: String, description: 'RFC 3339 instant' })
  @ApiJsonResponse(200, OnCallView, 'Who is on call')
  @ApiProblems(400, 404, 503)
  async onCall(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Query(new ZodPipe(AtQuery, 'query')) query: z.infer<typeof AtQuery>) {
    await scheduleOr404(this.dataSource, scheduleId, true);
    const at = query.at ? Date.parse(query.at) : Date.now();
    const { engine, people } = await loadEngine(this.dataSource, scheduleId);
    const answer = engine.onCallAt(at);
    return {
      scheduleId,
      at: new Date(at).toISOString(),
      revision: answer.revision,
      people: namedPeople(answer.people, people),
      source: answer.shift ? sourceView(answer.shift.source) : null,
      shiftStart: answer.shift ? new Date(answer.shift.start).toISOString() : null,
      shiftEnd: answer.shift ? new Date(answer.shift.end).toISOString() : null,
    };
  }

  @Get('shifts')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Who is on call over a window, shift by shift (revisions and overrides applied)', operationId: 'listShifts' })
  @ApiQuery({ name: 'from', required: false, type: String })
  @ApiQuery({ name: 'to', required: false, type: String })
  @ApiQuery({ name: 'days', required: false, type: Number })
  @ApiJsonResponse(200, ShiftList, 'The shifts')
  @ApiProblems(400, 404, 422, 503)
  async shifts(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Query(new ZodPipe(WindowQuery, 'query')) query: z.infer<typeof WindowQuery>) {
    await scheduleOr404(this.dataSource, scheduleId, true);
    const { from, to } = windowOf(query);
    const { engine, people } = await loadEngine(this.dataSource, scheduleId);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), items: engine.shifts(from, to).map((s) => shiftView(s, people)) };
  }

  @Get('coverage')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Coverage check over a window: gaps (nobody on call) and overlaps (more than one layer or override has someone)', operationId: 'checkCoverage' })
  @ApiQuery({ name: 'from', required: false, type: String })
  @ApiQuery({ name: 'to', required: false, type: String })
  @ApiQuery({ name: 'days', required: false, type: Number })
  @ApiJsonResponse(200, CoverageReport, 'The gaps and overlaps')
  @ApiProblems(400, 404, 422, 503)
  async coverage(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Query(new ZodPipe(WindowQuery, 'query')) query: z.infer<typeof WindowQuery>) {
    await scheduleOr404(this.dataSource, scheduleId, true);
    const { from, to } = windowOf(query);
    const { engine, people } = await loadEngine(this.dataSource, scheduleId);
    const report = engine.coverage(from, to);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      from: iso(from),
      to: iso(to),
      coveredPercent: report.coveredPercent,
      gaps: report.gaps.map((g) => ({ start: iso(g.start), end: iso(g.end) })),
      overlaps: report.overlaps.map((o) => ({
        start: iso(o.start),
        end: iso(o.end),
        sources: o.sources.map((s) => ({ ...sourceView(s.source), people: namedPeople(s.people, people) })),
      })),
    };
  }
}
