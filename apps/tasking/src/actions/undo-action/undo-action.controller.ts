import { Body, Controller, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionView, UndoAction } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { ResponseActions } from '../response-actions';

@ApiTags('response actions')
@Controller('v1/incidents')
export class UndoActionController {
  constructor(private readonly actions: ResponseActions) {}

  @Post(':incidentId/actions/:actionId/undo')
  @Permit('actions.request')
  @ApiOperation({
    summary: 'Undo a succeeded action by its inverse (un-isolate, unblock, enable the account), sent at once',
    description:
      'The undo is an action of its own (undoOf names the original) through the same connector and guard; it needs no approval because it restores what an approved action changed, and runs on an ended incident too. ' +
      'On success the original shows undoneBy and vigil.action.undone.v1 is published. 409 when the kind has no undo (credential reset, custom call), the action did not succeed, or it is undone already.',
    operationId: 'undoIncidentAction',
  })
  @ApiJsonBody(UndoAction)
  @ApiJsonResponse(201, ActionView, 'The undo action, sent')
  @ApiProblems(400, 404, 409, 503)
  async undo(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Param('actionId', new ParseUUIDPipe()) actionId: string, @Body(new ZodPipe(UndoAction)) body: UndoAction, @Caller() caller: Principal) {
    return this.actions.undo(caller, incidentId, actionId, body.reason);
  }
}
