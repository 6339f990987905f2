import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionView, ApproveAction } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { ResponseActions } from '../response-actions';

@ApiTags('response actions')
@Controller('v1/incidents')
export class ApproveActionController {
  constructor(private readonly actions: ResponseActions) {}

  @Post(':incidentId/actions/:actionId/approvals')
  @HttpCode(200)
  @Permit('actions.approve')
  @ApiOperation({
    summary: 'Approve a response action',
    description:
      'Records the approver and their roles (vigil.action.approved.v1). Refused: the requester (403, no self-approval), a caller without a role the policy names (403), a second approval by the same person (409), ' +
      'an action no longer awaiting approval (409), and an expired request (409: it is marked expired and never runs). The approval that completes the count sends the request at once; the answer shows the outcome.',
    operationId: 'approveIncidentAction',
  })
  @ApiJsonBody(ApproveAction)
  @ApiJsonResponse(200, ActionView, 'The action: still awaiting approval, or sent (succeeded or failed)')
  @ApiProblems(400, 403, 404, 409, 503)
  async approve(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('actionId', new ParseUUIDPipe()) actionId: string,
    @Body(new ZodPipe(ApproveAction)) body: ApproveAction,
    @Caller() caller: Principal,
  ) {
    return this.actions.approve(caller, incidentId, actionId, body.note);
  }
}
