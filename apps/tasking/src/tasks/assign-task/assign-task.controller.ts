import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AssignTask, createEvent, TaskAssignedV1, TaskView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { toTaskView } from '../../persistence/task.entity';
import { assertUnfinished, lockTask } from '../task-state';

@ApiTags('tasks')
@Controller('v1/incidents')
export class AssignTaskController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/tasks/:taskId/assignment')
  @HttpCode(200)
  @Permit('tasks.work')
  @ApiOperation({
    summary: 'Assign a task to a person, a role, or both',
    description:
      'Sets the assignee (a person\'s subject, or null for anyone of the role) and/or the role, and publishes vigil.task.assigned.v1. ' +
      'Only open and started tasks can be assigned (409 otherwise).',
    operationId: 'assignIncidentTask',
  })
  @ApiJsonBody(AssignTask)
  @ApiJsonResponse(200, TaskView, 'The task, assigned')
  @ApiProblems(400, 404, 409, 503)
  async assign(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(AssignTask)) body: AssignTask,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const task = await this.dataSource.transaction(async (manager) => {
      const found = await lockTask(manager, incidentId, taskId);
      assertUnfinished(found, 'be assigned');
      auditTouch({ ids: { incidentId, taskId }, before: toTaskView(found) }, digest);
      const now = new Date();
      if (body.assignee !== undefined) found.assignee = body.assignee;
      if (body.role !== undefined) found.role = body.role;
      await manager.save(found);
      auditTouch({ after: toTaskView(found) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskAssignedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, title: found.title, assignee: found.assignee, role: found.role, assignedAt: now.toISOString(), actor: caller.subject },
        }),
        { topic: TaskAssignedV1.topic, key: incidentId },
      );
      return found;
    });
    return toTaskView(task);
  }
}
