import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AudienceKey, AudienceList, AudienceView, isExternalAudience, UpdateAudience } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type FieldError, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { allAudiences, audienceOf, toAudienceView, type AudienceRow } from '../audience-store';

/**
 * The nine audiences are fixed; what is configured is how each is reached (channels, e-mail
 * recipients), which incidents it hears about, whether its messages need approval, what is sent
 * to it on its own, and how often it is owed a status update.
 */
@ApiTags('audiences')
@Controller('v1/audiences')
export class AudiencesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('audiences.read')
  @ApiOperation({ summary: 'The audiences and how each is reached', operationId: 'listAudiences' })
  @ApiJsonResponse(200, AudienceList, 'The audiences')
  @ApiProblems(503)
  async list() {
    return { items: (await allAudiences(this.dataSource)).map(toAudienceView) };
  }

  @Get(':audience')
  @Permit('audiences.read')
  @ApiParam({ name: 'audience', enum: AudienceKey.options })
  @ApiOperation({ summary: 'One audience', operationId: 'getAudience' })
  @ApiJsonResponse(200, AudienceView, 'The audience')
  @ApiProblems(400, 503)
  async get(@Param('audience', new ZodPipe(AudienceKey, 'parameter')) audience: AudienceKey) {
    return toAudienceView(await audienceOf(this.dataSource, audience));
  }

  @Put(':audience')
  @Permit('audiences.write')
  @ApiParam({ name: 'audience', enum: AudienceKey.options })
  @ApiOperation({
    summary: 'Set how an audience is reached, what it hears about, its approval and its status-update cadence',
    description:
      'Outside audiences (customers, regulators, law_enforcement, media, partners) always need approval and are never notified on their own. ' +
      'Every channel named must exist.',
    operationId: 'updateAudience',
  })
  @ApiJsonBody(UpdateAudience)
  @ApiJsonResponse(200, AudienceView, 'The audience')
  @ApiProblems(400, 503)
  async update(@Param('audience', new ZodPipe(AudienceKey, 'parameter')) audience: AudienceKey, @Body(new ZodPipe(UpdateAudience)) body: UpdateAudience, @Caller() caller: Principal) {
    const row = await this.dataSource.transaction(async (manager) => {
      const errors: FieldError[] = [];
      const known: Array<{ name: string }> = await manager.query(`SELECT name FROM comms.channels WHERE name = ANY($1)`, [body.channels]);
      body.channels.forEach((name, i) => {
        if (!known.some((k) => k.name === name)) errors.push({ pointer: `/channels/${i}`, detail: `no channel is named ${name}` });
      });
      if (isExternalAudience(audience) && !body.requiresApproval) errors.push({ pointer: '/requiresApproval', detail: 'an outside audience always needs approval' });
      if (body.autoNotify.length && (isExternalAudience(audience) || body.requiresApproval)) {
        errors.push({ pointer: '/autoNotify', detail: 'only inside audiences without approval are notified on their own' });
      }
      // The body matches its schema; what it names or asks for cannot be applied to this audience.
      if (errors.length) throw Problem.unprocessable(errors);
      const [updated]: AudienceRow[] = await manager.query(
        `WITH changed AS (UPDATE comms.audiences SET channels = $2, recipients = $3, rule = $4, auto_notify = $5, requires_approval = $6, status_cadence = $7,
           cadence_grace_seconds = $8, updated_at = now(), updated_by = $9 WHERE audience = $1 RETURNING *) SELECT * FROM changed`,
        [audience, [...new Set(body.channels)], [...new Set(body.recipients)], body.rule, body.autoNotify, body.requiresApproval, body.statusCadence, body.cadenceGraceSeconds, caller.subject],
      );
      return updated;
    });
    return toAudienceView(row);
  }
}
