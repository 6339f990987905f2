import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AddNote, IncidentNoteAddedV1, NoteList, NoteView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, canSeeIncident, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { recordHistory } from '../../lifecycle/record-change';
import { lockIncident, publishIncidentEvent, requireIncident } from '../incident-writes';

interface NoteRow {
  id: string;
  incident_id: string;
  author: string;
  author_name: string | null;
  body: string;
  created_at: Date;
}
const toNoteView = (r: NoteRow) => ({ noteId: r.id, incidentId: r.incident_id, author: r.author, authorName: r.author_name ?? null, body: r.body, createdAt: r.created_at.toISOString() });

/**
 * Notes are appended, never edited, so two analysts writing at once both keep theirs: adding one
 * needs no If-Match and leaves the incident's version alone.
 */
@ApiTags('incidents')
@Controller('v1/incidents/:incidentId/notes')
export class NotesController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('incidents.annotate')
  @ApiOperation({ summary: 'Add a note to the incident', operationId: 'addIncidentNote' })
  @ApiJsonBody(AddNote)
  @ApiJsonResponse(201, NoteView, 'The note')
  @ApiProblems(400, 404, 503)
  async add(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(AddNote)) body: AddNote, @Caller() caller: Principal) {
    return this.dataSource.transaction(async (manager) => {
      const incident = await lockIncident(manager, incidentId);
      if (!incident || !canSeeIncident(caller, incident)) throw Problem.notFound(`Incident ${incidentId}`);
      const [row]: NoteRow[] = await manager.query(
        `INSERT INTO triage.incident_notes (id, incident_id, author, author_name, body, created_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING *`,
        [randomUUID(), incidentId, caller.subject, caller.name ?? null, body.body],
      );
      await recordHistory(manager, incidentId, { actor: caller, action: 'note_added', details: { noteId: row.id } });
      await publishIncidentEvent(manager, IncidentNoteAddedV1, incident, { noteId: row.id, author: caller.subject, body: body.body });
      return toNoteView(row);
    });
  }

  @Get()
  @Permit('incidents.read')
  @ApiOperation({ summary: 'The notes of the incident, oldest first', operationId: 'listIncidentNotes' })
  @ApiJsonResponse(200, NoteList, 'The notes')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await requireIncident(this.dataSource, incidentId, caller);
    const rows: NoteRow[] = await this.dataSource.query(`SELECT * FROM triage.incident_notes WHERE incident_id = $1 ORDER BY created_at, id`, [incidentId]);
    return { items: rows.map(toNoteView) };
  }
}
