import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TeamInput, TeamList, TeamView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, Problem, ZodPipe } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { assertPeopleExist, conflictOn } from '../roster-checks';
import { TEAM_SELECT, toTeamView, type TeamRow } from '../roster-rows';

/** Teams of the roster: an escalation step can page every member of one. */
@ApiTags('roster')
@Controller('v1/teams')
export class TeamsController {
  constructor(private readonly dataSource: DataSource) {}

  private async setMembers(m: EntityManager, teamId: string, members: string[]) {
    await assertPeopleExist(m, members.map((id, i) => ({ id, pointer: `/members/${i}` })));
    await m.query(`DELETE FROM tasking.team_members WHERE team_id = $1`, [teamId]);
    await m.query(`INSERT INTO tasking.team_members (team_id, person_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [teamId, members]);
  }

  private async load(m: Pick<EntityManager, 'query'>, teamId: string): Promise<TeamRow | undefined> {
    const [row]: TeamRow[] = await m.query(`${TEAM_SELECT} WHERE t.id = $1`, [teamId]);
    return row;
  }

  @Post()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Create a team', operationId: 'createTeam' })
  @ApiJsonBody(TeamInput)
  @ApiJsonResponse(201, TeamView, 'The team')
  @ApiProblems(400, 409, 503)
  async create(@Body(new ZodPipe(TeamInput)) body: TeamInput) {
    const row = await this.dataSource
      .transaction(async (m) => {
        const id = randomUUID();
        await m.query(`INSERT INTO tasking.teams (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`, [id, body.name, body.description ?? null]);
        await this.setMembers(m, id, body.members);
        return this.load(m, id);
      })
      .catch((e) => conflictOn(e, { teams_name_key: 'name' }));
    return toTeamView(row!);
  }

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Teams, by name', operationId: 'listTeams' })
  @ApiJsonResponse(200, TeamList, 'The teams')
  @ApiProblems(503)
  async list() {
    const rows: TeamRow[] = await this.dataSource.query(`${TEAM_SELECT} ORDER BY t.name`);
    return { items: rows.map(toTeamView) };
  }

  @Get(':teamId')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'One team and its members', operationId: 'getTeam' })
  @ApiJsonResponse(200, TeamView, 'The team')
  @ApiProblems(400, 404, 503)
  async get(@Param('teamId', new ParseUUIDPipe()) teamId: string) {
    const row = await this.load(this.dataSource, teamId);
    if (!row) throw Problem.notFound(`Team ${teamId}`);
    return toTeamView(row);
  }

  @Put(':teamId')
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Replace a team\'s name, description and members', operationId: 'updateTeam' })
  @ApiJsonBody(TeamInput)
  @ApiJsonResponse(200, TeamView, 'The team')
  @ApiProblems(400, 404, 409, 503)
  async update(@Param('teamId', new ParseUUIDPipe()) teamId: string, @Body(new ZodPipe(TeamInput)) body: TeamInput) {
    const row = await this.dataSource
      .transaction(async (m) => {
        const [found]: Array<{ id: string }> = await m.query(
          `WITH updated AS (UPDATE tasking.teams SET name = $2, description = $3, updated_at = now() WHERE id = $1 RETURNING id) SELECT id FROM updated`,
          [teamId, body.name, body.description ?? null],
        );
        if (!found) throw Problem.notFound(`Team ${teamId}`);
        await this.setMembers(m, teamId, body.members);
        return this.load(m, teamId);
      })
      .catch((e) => conflictOn(e, { teams_name_key: 'name' }));
    return toTeamView(row!);
  }

  @Delete(':teamId')
  @Permit('oncall.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a team (an escalation step that names it then pages nobody for it, and says so)', operationId: 'deleteTeam' })
  @ApiProblems(400, 404, 503)
  async remove(@Param('teamId', new ParseUUIDPipe()) teamId: string) {
    await this.dataSource.transaction(async (m) => {
      const deleted: Array<{ id: string }> = await m.query(`WITH d AS (DELETE FROM tasking.teams WHERE id = $1 RETURNING id) SELECT id FROM d`, [teamId]);
      if (deleted.length === 0) throw Problem.notFound(`Team ${teamId}`);
    });
  }
}
