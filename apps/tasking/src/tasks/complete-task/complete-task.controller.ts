import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CompleteTask, createEvent, TaskCompletedV1, TaskView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { Task, toTaskView } from '../../persistence/task.entity';

@ApiTags('tasks')
@Controller('v1/incidents')
export class CompleteTaskController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/tasks/:taskId/completion')
  @HttpCode(200)
  @Permit('tasks.complete')
  @ApiOperation({
    summary: 'Mark a task done',
    description:
      'Records who did it and when, and publishes vigil.task.completed.v1 (a review action item\'s task done is its action item done). ' +
      'Marking a done task done again changes nothing; a cancelled task cannot be done (409).',
    operationId: 'completeIncidentTask',
  })
  @ApiJsonBody(CompleteTask)
  @ApiJsonResponse(200, TaskView, 'The task, done')
  @ApiProblems(400, 404, 409, 503)
  async complete(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(CompleteTask)) body: CompleteTask,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const task = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(Task);
      const found = await repo.findOne({ where: { id: taskId, incidentId }, lock: { mode: 'pessimistic_write' } });
      if (!found) throw Problem.notFound(`Task ${taskId} of incident ${incidentId}`);
      if (found.status === 'done') return found;
      if (found.status === 'cancelled') {
        throw new Problem(409, 'Task cancelled', `Task ${taskId} was cancelled (${found.cancelReason ?? 'no reason given'}): it cannot be done.`, { status: found.status });
      }
      auditTouch({ ids: { incidentId, taskId }, before: toTaskView(found) }, digest);
      const now = new Date();
      found.status = 'done';
      found.completedAt = now;
      found.completedBy = caller.subject;
      found.completionNote = body.note ?? null;
      await repo.save(found);
      auditTouch({ after: toTaskView(found) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskCompletedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, title: found.title, completedAt: now.toISOString(), actor: caller.subject, note: found.completionNote, actionItemId: found.actionItemId },
        }),
        { topic: TaskCompletedV1.topic, key: incidentId },
      );
      return found;
    });
    return toTaskView(task);
  }
}
