import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AddTaskNote, createEvent, TaskNoteAddedV1, TaskNoteList, TaskNoteView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { lockTask } from '../task-state';

interface NoteRow {
  id: string;
  task_id: string;
  author: string;
  text: string | null;
  evidence_url: string | null;
  created_at: Date;
}
const toView = (r: NoteRow) => ({ noteId: r.id, taskId: r.task_id, author: r.author, text: r.text, evidenceUrl: r.evidence_url, createdAt: r.created_at.toISOString() });

@ApiTags('tasks')
@Controller('v1/incidents')
export class TaskNotesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/tasks/:taskId/notes')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Notes and evidence links of a task, oldest first', operationId: 'listTaskNotes' })
  @ApiJsonResponse(200, TaskNoteList, 'The notes')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Param('taskId', new ParseUUIDPipe()) taskId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const [task] = await this.dataSource.query(`SELECT 1 FROM tasking.tasks WHERE id = $1 AND incident_id = $2`, [taskId, incidentId]);
    if (!task) throw Problem.notFound(`Task ${taskId} of incident ${incidentId}`);
    const rows: NoteRow[] = await this.dataSource.query(`SELECT * FROM tasking.task_notes WHERE task_id = $1 ORDER BY created_at, id`, [taskId]);
    return { items: rows.map(toView) };
  }

  @Post(':incidentId/tasks/:taskId/notes')
  @HttpCode(201)
  @Permit('tasks.work')
  @ApiOperation({
    summary: 'Add a note or an evidence link to a task',
    description: 'Text is kept as written (shown, never evaluated); an evidence link is an http(s) URL. Publishes vigil.task.note-added.v1. Any task, in any state, takes notes.',
    operationId: 'addTaskNote',
  })
  @ApiJsonBody(AddTaskNote)
  @ApiJsonResponse(201, TaskNoteView, 'The note')
  @ApiProblems(400, 404, 503)
  async add(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(AddTaskNote)) body: AddTaskNote,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    return this.dataSource.transaction(async (manager) => {
      const task = await lockTask(manager, incidentId, taskId);
      const now = new Date();
      const row: NoteRow = { id: randomUUID(), task_id: taskId, author: caller.subject, text: body.text ?? null, evidence_url: body.evidenceUrl ?? null, created_at: now };
      await manager.query(`INSERT INTO tasking.task_notes (id, task_id, incident_id, author, text, evidence_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        row.id,
        taskId,
        incidentId,
        row.author,
        row.text,
        row.evidence_url,
        now,
      ]);
      auditTouch({ ids: { incidentId, taskId, noteId: row.id }, after: toView(row) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskNoteAddedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, noteId: row.id, title: task.title, text: row.text, evidenceUrl: row.evidence_url, author: row.author, addedAt: now.toISOString() },
        }),
        { topic: TaskNoteAddedV1.topic, key: incidentId },
      );
      return toView(row);
    });
  }
}
