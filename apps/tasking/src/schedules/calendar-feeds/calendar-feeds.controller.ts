import { Controller, Get, Inject, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CONFIG, Problem, Public, ZodPipe } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import ical from 'ical-generator';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { TaskingConfig } from '../../config';
import { hashFeedToken } from '../../roster/people/people.controller';
import { scheduleOr404 } from '../schedule-checks';
import { loadEngine, type ScheduleRow } from '../schedule-store';

const DAY = 86_400_000;
const FeedQuery = z.strictObject({
  token: z.string().min(20).max(200).optional(),
  weeks: z.coerce.number().int().min(1).max(52).default(12).describe('how far ahead (two weeks back are always included)'),
});

/**
 * iCalendar feeds of shifts, so that people see them in their calendar. Calendar clients fetch a
 * URL and cannot send a bearer token, so these routes take a person's feed token instead
 * (`POST /v1/people/{id}/feed-token` issues it): it opens that person's feed and the feeds of
 * schedules, and nothing else. Events are in UTC; calendars show them in local time.
 */
@ApiTags('schedules')
@Controller('v1')
export class CalendarFeedsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: TaskingConfig,
  ) {}

  /** The active person the token belongs to, or a 401. */
  private async holder(token: string | undefined): Promise<{ id: string; name: string }> {
    if (!token) throw new Problem(401, 'Unauthorized', 'A calendar feed needs ?token= (POST /v1/people/{id}/feed-token issues one).');
    const [person]: Array<{ id: string; name: string }> = await this.dataSource.query(`SELECT id, name FROM tasking.people WHERE feed_token_hash = $1 AND active`, [hashFeedToken(token)]);
    if (!person) throw new Problem(401, 'Unauthorized', 'The feed token is not valid (it was replaced, or its person removed).');
    return person;
  }

  private window(weeks: number) {
    const now = Date.now();
    return { from: now - 14 * DAY, to: now + weeks * 7 * DAY };
  }

  private calendar(name: string) {
    const base = this.config.PUBLIC_BASE_URL ?? `http://localhost:${this.config.PORT}`;
    return ical({ name, prodId: { company: 'Vigil', product: 'on-call', language: 'EN' }, url: base, ttl: 15 * 60 });
  }

  private send(reply: FastifyReply, body: string) {
    reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300');
    return body;
  }

  @Get('schedules/:scheduleId/calendar.ics')
  @Public('feed-token')
  @ApiOperation({ summary: 'A schedule\'s shifts as an iCalendar feed (needs ?token=, a person\'s feed token)', operationId: 'scheduleCalendarFeed' })
  @ApiQuery({ name: 'token', required: true, type: String })
  @ApiQuery({ name: 'weeks', required: false, type: Number })
  @ApiProduces('text/calendar')
  @ApiResponse({ status: 200, description: 'text/calendar (RFC 5545)' })
  @ApiProblems(400, 401, 404, 503)
  async scheduleFeed(@Param('scheduleId', new ParseUUIDPipe()) scheduleId: string, @Query(new ZodPipe(FeedQuery, 'query')) query: z.infer<typeof FeedQuery>, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.holder(query.token);
    const schedule = await scheduleOr404(this.dataSource, scheduleId);
    const { from, to } = this.window(query.weeks);
    const { engine, people } = await loadEngine(this.dataSource, scheduleId);
    const cal = this.calendar(`On call: ${schedule.name}`);
    for (const s of engine.shifts(from, to)) {
      const names = s.people.map((p) => people.get(p)?.name ?? p).join(', ');
      cal.createEvent({
        id: `${scheduleId}-${s.start}-${s.people.join('+')}@vigil`,
        start: new Date(s.start),
        end: new Date(s.end),
        summary: `${names} on call (${schedule.name})`,
        description: s.source.kind === 'override' ? 'override' : `layer ${s.source.layer}`,
      });
    }
    return this.send(reply, cal.toString());
  }

  @Get('people/:personId/calendar.ics')
  @Public('feed-token')
  @ApiOperation({ summary: 'A person\'s own shifts, across every schedule, as an iCalendar feed (needs ?token=, that person\'s feed token)', operationId: 'personCalendarFeed' })
  @ApiQuery({ name: 'token', required: true, type: String })
  @ApiQuery({ name: 'weeks', required: false, type: Number })
  @ApiProduces('text/calendar')
  @ApiResponse({ status: 200, description: 'text/calendar (RFC 5545)' })
  @ApiProblems(400, 401, 404, 503)
  async personFeed(@Param('personId', new ParseUUIDPipe()) personId: string, @Query(new ZodPipe(FeedQuery, 'query')) query: z.infer<typeof FeedQuery>, @Res({ passthrough: true }) reply: FastifyReply) {
    const holder = await this.holder(query.token);
    // Another person's token opens nothing here: the same answer as an unknown person.
    if (holder.id !== personId) throw Problem.notFound(`Person ${personId}`);
    const { from, to } = this.window(query.weeks);
    const schedules: ScheduleRow[] = await this.dataSource.query(`SELECT * FROM tasking.schedules WHERE archived_at IS NULL ORDER BY name`);
    const cal = this.calendar(`On call: ${holder.name}`);
    for (const schedule of schedules) {
      const { engine } = await loadEngine(this.dataSource, schedule.id);
      for (const s of engine.shifts(from, to).filter((x) => x.people.includes(personId))) {
        cal.createEvent({ id: `${schedule.id}-${s.start}-${personId}@vigil`, start: new Date(s.start), end: new Date(s.end), summary: `On call: ${schedule.name}` });
      }
    }
    return this.send(reply, cal.toString());
  }
}
