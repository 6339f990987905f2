import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionDryRun, ActionList, ActionView, RequestAction } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { ResponseActions } from '../response-actions';

/** Requesting a response action on an incident, its dry run, and reading actions (hidden like the incident when it is restricted). */
@ApiTags('response actions')
@Controller('v1/incidents')
export class ActionsController {
  constructor(private readonly actions: ResponseActions) {}

  @Post(':incidentId/actions')
  @Permit('actions.request')
  @ApiOperation({
    summary: 'Request a response action; it waits for approval',
    description:
      'The approval policy is chosen by the asset criticality (the incident\'s, from the asset register via triage; the request can raise it, never lower it; unknown counts as high) and the action kind. ' +
      'The exact request is built now and shown (`request`); it is sent, signed, when the last approval needed arrives. Publishes vigil.action.requested.v1.',
    operationId: 'requestIncidentAction',
  })
  @ApiJsonBody(RequestAction)
  @ApiJsonResponse(201, ActionView, 'The action, awaiting approval')
  @ApiProblems(400, 404, 409, 503)
  async request(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(RequestAction)) body: RequestAction, @Caller() caller: Principal) {
    return this.actions.request(caller, incidentId, body);
  }

  @Post(':incidentId/actions/dry-run')
  @HttpCode(200)
  @Permit('actions.request')
  @ApiOperation({
    summary: 'Dry run: the exact request an action would send (URL, headers, body; the signature is made when it is sent) and the policy that would apply. Stores and sends nothing.',
    operationId: 'dryRunIncidentAction',
  })
  @ApiJsonBody(RequestAction)
  @ApiJsonResponse(200, ActionDryRun, 'What would be sent, and who must approve it')
  @ApiProblems(400, 404, 409, 503)
  async dryRun(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(RequestAction)) body: RequestAction, @Caller() caller: Principal) {
    return this.actions.dryRun(caller, incidentId, body);
  }

  @Get(':incidentId/actions')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Response actions of an incident, oldest first, with approvals, attempts and the request each sends', operationId: 'listIncidentActions' })
  @ApiJsonResponse(200, ActionList, 'The actions')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    return { items: await this.actions.list(caller, incidentId) };
  }

  @Get(':incidentId/actions/:actionId')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'One response action: its status, approvals, every attempt, and the exact request (the dry run)', operationId: 'getIncidentAction' })
  @ApiJsonResponse(200, ActionView, 'The action')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Param('actionId', new ParseUUIDPipe()) actionId: string, @Caller() caller: Principal) {
    return this.actions.get(caller, incidentId, actionId);
  }
}
