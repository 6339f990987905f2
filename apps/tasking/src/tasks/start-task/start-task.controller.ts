import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { createEvent, StartTask, TaskStartedV1, TaskView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { toTaskView } from '../../persistence/task.entity';
import { assertUnblocked, assertUnfinished, lockTask } from '../task-state';

@ApiTags('tasks')
@Controller('v1/incidents')
export class StartTaskController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/tasks/:taskId/start')
  @HttpCode(200)
  @Permit('tasks.work')
  @ApiOperation({
    summary: 'Start a task (open → in_progress)',
    description:
      'Records who started it and publishes vigil.task.started.v1; unassigned, the task becomes the caller\'s. ' +
      'A task waits for its dependsOn steps (done or skipped), its gates (done) and its phase (the incident has reached it): ' +
      'while it waits, a start is a 409 whose blockedBy names what it waits for. Starting a started task changes nothing; a done, skipped or cancelled one is a 409.',
    operationId: 'startIncidentTask',
  })
  @ApiJsonBody(StartTask)
  @ApiJsonResponse(200, TaskView, 'The task, in progress')
  @ApiProblems(400, 404, 409, 503)
  async start(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(StartTask)) body: StartTask,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const task = await this.dataSource.transaction(async (manager) => {
      const found = await lockTask(manager, incidentId, taskId);
      if (found.status === 'in_progress') return found;
      assertUnfinished(found, 'start');
      await assertUnblocked(manager, found, 'start');
      auditTouch({ ids: { incidentId, taskId }, before: toTaskView(found) }, digest);
      const now = new Date();
      found.status = 'in_progress';
      found.startedAt = now;
      found.startedBy = caller.subject;
      found.assignee = found.assignee ?? caller.subject;
      await manager.save(found);
      auditTouch({ after: toTaskView(found) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskStartedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, title: found.title, startedAt: now.toISOString(), actor: caller.subject, note: body.note ?? null },
        }),
        { topic: TaskStartedV1.topic, key: incidentId },
      );
      return found;
    });
    return toTaskView(task, []);
  }
}
