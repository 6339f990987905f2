import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TaskList } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { Task, toTaskView } from '../persistence/task.entity';
import { blockersByTask } from './task-state';

const PHASE_ORDER = ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident', 'closed'];

@ApiTags('tasks')
@Controller('v1/incidents')
export class IncidentTasksController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/tasks')
  @Permit('incidents.read')
  @ApiOperation({
    summary: 'Tasks of an incident, in lifecycle order',
    description: 'Each open task says whether it is blocked and by what: open dependencies, gates not done, or "phase:<phase>" until the incident reaches the task\'s phase.',
    operationId: 'listIncidentTasks',
  })
  @ApiJsonResponse(200, TaskList, 'The tasks (empty while the incident has not reached tasking yet)')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const tasks = await this.dataSource.getRepository(Task).find({ where: { incidentId }, order: { createdAt: 'ASC' } });
    tasks.sort((a, b) => PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase));
    const waits = await blockersByTask(this.dataSource.manager, incidentId, tasks);
    return { items: tasks.map((t) => toTaskView(t, waits.get(t.id) ?? [])) };
  }
}
