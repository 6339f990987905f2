import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActionView, BreakGlassAction, BreakGlassList, ReviewBreakGlass } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { z } from 'zod';
import { ResponseActions } from '../response-actions';

const ListQuery = z.strictObject({
  pending: z.enum(['true', 'false']).default('true').describe('only those awaiting review (default) or all'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

/** Break-glass: an IR manager runs an action without approvals, with a reason; someone else reviews it afterwards. */
@ApiTags('response actions')
@Controller('v1')
export class BreakGlassController {
  constructor(private readonly actions: ResponseActions) {}

  @Post('incidents/:incidentId/actions/break-glass')
  @Permit('actions.break-glass')
  @ApiOperation({
    summary: 'Break glass: run a response action at once, without approvals',
    description: 'Sent at once through the same guard and signature; flagged for review (GET /v1/break-glass-actions) with the reason given. Publishes vigil.action.requested.v1 (breakGlass set), then executed or failed.',
    operationId: 'breakGlassIncidentAction',
  })
  @ApiJsonBody(BreakGlassAction)
  @ApiJsonResponse(201, ActionView, 'The action, sent')
  @ApiProblems(400, 404, 409, 503)
  async breakGlass(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(BreakGlassAction)) body: BreakGlassAction, @Caller() caller: Principal) {
    return this.actions.breakGlass(caller, incidentId, body);
  }

  @Get('break-glass-actions')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Break-glass actions to review (or all with pending=false), oldest first, of incidents the caller may see; a page at a time', operationId: 'listBreakGlassActions' })
  @ApiQuery({ name: 'pending', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, BreakGlassList, 'A page of actions')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>, @Caller() caller: Principal) {
    return this.actions.breakGlassActions(caller, { pendingOnly: query.pending === 'true', limit: query.limit, cursor: query.cursor });
  }

  @Post('break-glass-actions/:actionId/review')
  @HttpCode(200)
  @Permit('actions.review')
  @ApiOperation({ summary: 'Record the review of a break-glass action (not by whoever broke the glass: 403); once (409). Publishes vigil.action.reviewed.v1.', operationId: 'reviewBreakGlassAction' })
  @ApiJsonBody(ReviewBreakGlass)
  @ApiJsonResponse(200, ActionView, 'The action, reviewed')
  @ApiProblems(400, 403, 404, 409, 503)
  async review(@Param('actionId', new ParseUUIDPipe()) actionId: string, @Body(new ZodPipe(ReviewBreakGlass)) body: ReviewBreakGlass, @Caller() caller: Principal) {
    return this.actions.review(caller, actionId, body.note);
  }
}
