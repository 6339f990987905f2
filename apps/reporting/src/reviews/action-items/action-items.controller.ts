import { Body, Controller, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionItemView, AddActionItem, UpdateActionItem } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { updateReturning } from '../../persistence/sql';
import { reviewOf, toActionItemView, type ActionItemRow } from '../review-records';
import { recordActionItem } from './record-action-item';

@ApiTags('reviews')
@Controller('v1/incidents')
export class ActionItemsController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/review/action-items')
  @Permit('reviews.write')
  @ApiOperation({
    summary: 'Add an action item to the review: owner, due date and type (detection, control, playbook change, training)',
    description: 'Tasking makes a task of it for its owner; when that task is done, the action item is done. Action items can be added until and after the review is completed.',
    operationId: 'addReviewActionItem',
  })
  @ApiJsonBody(AddActionItem)
  @ApiJsonResponse(201, ActionItemView, 'The action item (open; its taskId follows once tasking has made the task)')
  @ApiProblems(400, 404, 503)
  async add(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(AddActionItem)) body: AddActionItem, @Caller() caller: Principal): Promise<ActionItemView> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const now = new Date();
    const row = await this.dataSource.transaction(async (manager) => {
      const review = await reviewOf(manager, incidentId);
      const actionItemId = randomUUID();
      auditTouch({ ids: { incidentId, reviewId: review.review_id, actionItemId } }, digest);
      const added = await recordActionItem(
        manager,
        {
          actionItemId,
          incidentId,
          origin: 'review',
          reviewId: review.review_id,
          exerciseId: null,
          title: body.title,
          type: body.type,
          owner: body.owner,
          dueAt: new Date(body.dueAt).toISOString(),
          playbookVersionId: body.playbookVersionId ?? null,
          exercise: review.exercise,
        },
        { description: body.description ?? null, actor: caller.subject, at: now },
      );
      auditTouch({ after: added }, digest);
      return added;
    });
    return toActionItemView(row, now);
  }

  @Patch(':incidentId/review/action-items/:actionItemId')
  @Permit('reviews.write')
  @ApiOperation({
    summary: 'Link an action item to the playbook version that resolved it (or unlink it)',
    description: 'For action items of type playbook_change: the playbook version that carries the change.',
    operationId: 'updateReviewActionItem',
  })
  @ApiJsonBody(UpdateActionItem)
  @ApiJsonResponse(200, ActionItemView, 'The action item')
  @ApiProblems(400, 404, 409, 503)
  async update(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('actionItemId', new ParseUUIDPipe()) actionItemId: string,
    @Body(new ZodPipe(UpdateActionItem)) body: UpdateActionItem,
    @Caller() caller: Principal,
  ): Promise<ActionItemView> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const row = await this.dataSource.transaction(async (manager) => {
      const [item] = (await manager.query(`SELECT * FROM reporting.action_items WHERE action_item_id = $1 AND incident_id = $2 FOR UPDATE`, [actionItemId, incidentId])) as ActionItemRow[];
      if (!item) throw Problem.notFound(`Action item ${actionItemId} of incident ${incidentId}`);
      if (body.playbookVersionId !== null && item.type !== 'playbook_change') {
        throw new Problem(409, 'Not a playbook change', `Action item ${actionItemId} is of type ${item.type}: only a playbook change links a playbook version.`, { type: item.type });
      }
      auditTouch({ ids: { incidentId, actionItemId }, before: item }, digest);
      const [after] = await updateReturning<ActionItemRow>(manager, `UPDATE reporting.action_items SET playbook_version_id = $2 WHERE action_item_id = $1 RETURNING *`, [actionItemId, body.playbookVersionId]);
      auditTouch({ after }, digest);
      return after;
    });
    return toActionItemView(row, new Date());
  }
}
