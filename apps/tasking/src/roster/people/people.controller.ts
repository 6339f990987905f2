import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FeedToken, PersonInput, PersonList, PersonView, RosterRole } from '@vigil/contracts';
import { allows, ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, CONFIG, namesPrincipal, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { TaskingConfig } from '../../config';
import { conflictOn } from '../roster-checks';
import { toPersonView, type PersonRow } from '../roster-rows';

const ListQuery = z.strictObject({
  role: RosterRole.optional(),
  active: z.enum(['true', 'false', 'all']).default('true'),
});

export function hashFeedToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The people of the response team: who they are (their identity subject), how to reach them,
 * their time zone and roles. Removing someone keeps them for history (who was on call, who was
 * paged) but they are never paged again.
 */
@ApiTags('roster')
@Controller('v1/people')
export class PeopleController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: TaskingConfig,
  ) {}

  @Post()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Add a person to the roster', operationId: 'createPerson' })
  @ApiJsonBody(PersonInput)
  @ApiJsonResponse(201, PersonView, 'The person')
  @ApiProblems(400, 409, 503)
  async create(@Body(new ZodPipe(PersonInput)) body: PersonInput) {
    const now = new Date();
    const [row]: PersonRow[] = await this.dataSource
      .transaction((m) =>
        m.query(
          `INSERT INTO tasking.people (id, name, subject, email, time_zone, roles, contact_methods, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
          [randomUUID(), body.name, body.subject ?? null, body.email ?? null, body.timeZone, body.roles, JSON.stringify(body.contactMethods), now],
        ),
      )
      .catch((e) => conflictOn(e, { people_subject_key: 'subject' }));
    return toPersonView(row);
  }

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'The roster, by name', operationId: 'listPeople' })
  @ApiQuery({ name: 'role', required: false, enum: RosterRole.options })
  @ApiQuery({ name: 'active', required: false, enum: ['true', 'false', 'all'], description: 'removed people are left out unless asked for' })
  @ApiJsonResponse(200, PersonList, 'The people')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>) {
    const rows: PersonRow[] = await this.dataSource.query(
      `SELECT * FROM tasking.people WHERE ($1::text IS NULL OR $1 = ANY(roles)) AND ($2 = 'all' OR active = ($2 = 'true')) ORDER BY name, id`,
      [query.role ?? null, query.active],
    );
    return { items: rows.map(toPersonView) };
  }

  @Get(':personId')
  @Permit('oncall.read')
  @ApiOperation({
    summary: 'One person on the roster',
    description: 'A person removed from the roster is a 404 here, as after any DELETE; the record is kept for history and listed by GET /v1/people?active=false.',
    operationId: 'getPerson',
  })
  @ApiJsonResponse(200, PersonView, 'The person')
  @ApiProblems(400, 404, 503)
  async get(@Param('personId', new ParseUUIDPipe()) personId: string) {
    const [row]: PersonRow[] = await this.dataSource.query(`SELECT * FROM tasking.people WHERE id = $1`, [personId]);
    if (!row) throw Problem.notFound(`Person ${personId}`);
    if (!row.active) throw new Problem(404, 'Not found', `Person ${personId} was removed from the roster; GET /v1/people?active=false lists removed people.`);
    return toPersonView(row);
  }

  @Put(':personId')
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Replace what the roster says of a person', operationId: 'updatePerson' })
  @ApiJsonBody(PersonInput)
  @ApiJsonResponse(200, PersonView, 'The person')
  @ApiProblems(400, 404, 409, 503)
  async update(@Param('personId', new ParseUUIDPipe()) personId: string, @Body(new ZodPipe(PersonInput)) body: PersonInput) {
    const row: PersonRow = await this.dataSource
      .transaction(async (m) => {
        const [updated]: PersonRow[] = await m.query(
          `WITH updated AS (UPDATE tasking.people SET name = $2, subject = $3, email = $4, time_zone = $5, roles = $6, contact_methods = $7, updated_at = now()
            WHERE id = $1 AND active RETURNING *) SELECT * FROM updated`,
          [personId, body.name, body.subject ?? null, body.email ?? null, body.timeZone, body.roles, JSON.stringify(body.contactMethods)],
        );
        if (!updated) throw Problem.notFound(`Person ${personId}`);
        return updated;
      })
      .catch((e) => conflictOn(e, { people_subject_key: 'subject' }));
    return toPersonView(row);
  }

  @Delete(':personId')
  @Permit('oncall.write')
  @ApiOperation({
    summary: 'Remove a person from the roster: never paged again, left out of teams and of who is on call (a coverage check shows the gaps they leave); kept for history',
    description: 'The person is then a 404 by id (and a second DELETE too); GET /v1/people?active=false lists removed people.',
    operationId: 'removePerson',
  })
  @ApiJsonResponse(200, PersonView, 'The person, inactive')
  @ApiProblems(400, 404, 503)
  async remove(@Param('personId', new ParseUUIDPipe()) personId: string) {
    const row = await this.dataSource.transaction(async (m) => {
      const [updated]: PersonRow[] = await m.query(
        `WITH updated AS (UPDATE tasking.people SET active = false, feed_token_hash = NULL, updated_at = now() WHERE id = $1 AND active RETURNING *) SELECT * FROM updated`,
        [personId],
      );
      // Thrown inside the transaction: nothing is recorded as changed for an unknown person.
      if (!updated) throw Problem.notFound(`Person ${personId}`);
      await m.query(`DELETE FROM tasking.team_members WHERE person_id = $1`, [personId]);
      return updated;
    });
    return toPersonView(row);
  }

  @Post(':personId/feed-token')
  @HttpCode(201)
  @Permit('oncall.read')
  @ApiOperation({
    summary: 'Issue a calendar feed token (replacing any earlier one): for the person themself, or an IR manager or admin',
    description:
      'Calendar clients cannot send a bearer token, so the iCalendar feeds take this token in `?token=`. It opens the person\'s own feed and the feeds of schedules, and stops working when a new one is issued or the person is removed.',
    operationId: 'issueFeedToken',
  })
  @ApiJsonResponse(201, FeedToken, 'The token, shown once')
  @ApiProblems(400, 403, 404, 503)
  async issueFeedToken(@Param('personId', new ParseUUIDPipe()) personId: string, @Caller() caller: Principal) {
    const [person]: PersonRow[] = await this.dataSource.query(`SELECT * FROM tasking.people WHERE id = $1 AND active`, [personId]);
    if (!person) throw Problem.notFound(`Person ${personId}`);
    if (!allows(caller.roles, 'oncall.write') && !namesPrincipal([person.subject, person.email], caller)) {
      throw new Problem(403, 'Forbidden', 'A feed token is issued to the person themself, or by someone with oncall.write.');
    }
    const token = randomBytes(32).toString('base64url');
    await this.dataSource.transaction((m) => m.query(`UPDATE tasking.people SET feed_token_hash = $2, updated_at = now() WHERE id = $1`, [personId, hashFeedToken(token)]));
    const base = this.config.PUBLIC_BASE_URL ?? `http://localhost:${this.config.PORT}`;
    return {
      personId,
      token,
      personFeed: `${base}/v1/people/${personId}/calendar.ics?token=${token}`,
      note: 'Keep it like a password: anyone with the link sees the shifts. Issue a new one to revoke it.',
    };
  }
}
