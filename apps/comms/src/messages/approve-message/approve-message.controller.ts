import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApproveMessage, MessageView, RejectMessage } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { findSnapshot } from '../../incidents/incident-snapshots';
import { CLOCK, type Clock } from '../../timers/clock';
import { inTransaction } from '../../persistence/transaction';
import { MessageLedger, messageViews, type MessageRow } from '../message-ledger';

/**
 * Approving releases the message, exactly as drafted, to its channels. Four eyes: the drafter may
 * not approve; for a restricted incident, a message to an outside audience needs legal.
 */
@ApiTags('messages')
@Controller('v1/messages')
export class ApproveMessageController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: MessageLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post(':messageId/approve')
  @Permit('messages.approve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve a message: it goes to its channels exactly as drafted',
    description: '403 when the caller drafted it, or lacks the approver role it needs (legal for a restricted incident\'s message outside); 409 unless it awaits approval.',
    operationId: 'approveMessage',
  })
  @ApiJsonBody(ApproveMessage)
  @ApiJsonResponse(200, MessageView, 'The message, now sending')
  @ApiProblems(400, 404, 409, 503)
  async approve(@Param('messageId', new ParseUUIDPipe()) messageId: string, @Body(new ZodPipe(ApproveMessage)) body: ApproveMessage, @Caller() caller: Principal) {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (manager, afterCommit) => {
      const message = await this.lock(manager, messageId, caller);
      const incident = await findSnapshot(manager, message.incident_id);
      const approved = await this.ledger.approve(manager, message, incident, caller, body.comment ?? null, now, afterCommit);
      return (await messageViews(manager, [approved]))[0];
    });
  }

  @Post(':messageId/reject')
  @Permit('messages.approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a message awaiting approval, with the reason; it is never sent', operationId: 'rejectMessage' })
  @ApiJsonBody(RejectMessage)
  @ApiJsonResponse(200, MessageView, 'The rejected message')
  @ApiProblems(400, 404, 409, 503)
  async reject(@Param('messageId', new ParseUUIDPipe()) messageId: string, @Body(new ZodPipe(RejectMessage)) body: RejectMessage, @Caller() caller: Principal) {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const message = await this.lock(manager, messageId, caller);
      const incident = await findSnapshot(manager, message.incident_id);
      const rejected = await this.ledger.reject(manager, message, incident, caller, body.reason, now);
      return (await messageViews(manager, [rejected]))[0];
    });
  }

  private async lock(manager: EntityManager, messageId: string, caller: Principal): Promise<MessageRow> {
    const [message]: MessageRow[] = await manager.query(`SELECT * FROM comms.messages WHERE id = $1 FOR UPDATE`, [messageId]);
    if (!message) throw Problem.notFound(`Message ${messageId}`);
    await assertIncidentVisible(manager, 'comms', message.incident_id, caller, `Message ${messageId}`);
    return message;
  }
}
