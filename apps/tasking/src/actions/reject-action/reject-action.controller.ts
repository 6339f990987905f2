import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionView, RejectAction } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { ResponseActions } from '../response-actions';

@ApiTags('response actions')
@Controller('v1/incidents')
export class RejectActionController {
  constructor(private readonly actions: ResponseActions) {}

  @Post(':incidentId/actions/:actionId/rejection')
  @HttpCode(200)
  @Permit('actions.approve')
  @ApiOperation({
    summary: 'Reject a response action awaiting approval, or withdraw your own request',
    description:
      'An approver with a role the policy names rejects the request; its requester withdraws it. Either way it never runs: the status becomes rejected, ' +
      'the answer shows who, when and why (rejection), and vigil.action.failed.v1 (outcome rejected) puts it on the timeline. ' +
      'Refused: anyone else (403), an action no longer awaiting approval (409), and an expired request (409: it is marked expired).',
    operationId: 'rejectIncidentAction',
  })
  @ApiJsonBody(RejectAction)
  @ApiJsonResponse(200, ActionView, 'The action, rejected or withdrawn')
  @ApiProblems(400, 403, 404, 409, 503)
  async reject(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('actionId', new ParseUUIDPipe()) actionId: string,
    @Body(new ZodPipe(RejectAction)) body: RejectAction,
    @Caller() caller: Principal,
  ) {
    return this.actions.reject(caller, incidentId, actionId, body.reason);
  }
}
