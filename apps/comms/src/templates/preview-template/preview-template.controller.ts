import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChannelKind, PreviewTemplate, TemplatePreview } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { audienceOf } from '../../audiences/audience-store';
import { requireSnapshot } from '../../incidents/incident-snapshots';
import { composeMessage, type ComposeChannel } from '../../messages/compose-message';
import { ObligationEngine, type DecisionRow, type ObligationRow } from '../../obligations/obligation-engine';
import { TemplateError } from '../template-engine';
import { assertTemplateUsable, effectiveTemplate } from '../template-store';
import { buildTemplateView } from '../template-view';

/** Stand-ins for each channel kind, so that a preview shows every markup. */
const PREVIEW_CHANNELS: ComposeChannel[] = ChannelKind.options.map((kind, i) => ({
  id: `00000000-0000-4000-8000-00000000000${i}`,
  name: `preview-${kind}`,
  kind,
  config: kind === 'webhook' ? { url: 'https://receiver.invalid/' } : kind === 'email' ? { host: 'smtp.invalid', port: 25, security: 'none', from: 'vigil@localhost', to: ['audience@preview.invalid'] } : {},
}));

@ApiTags('templates')
@Controller('v1/templates')
export class PreviewTemplateController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly obligations: ObligationEngine,
  ) {}

  @Post('preview')
  @Permit('templates.read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Render a template (saved, or given here) against a live incident, as each channel would get it',
    description: 'Nothing is sent or stored. A template that fails its check or its render is a 400 naming line and column.',
    operationId: 'previewTemplate',
  })
  @ApiJsonBody(PreviewTemplate)
  @ApiJsonResponse(200, TemplatePreview, 'The plain text and each channel\'s body')
  @ApiProblems(400, 404, 503)
  async preview(@Body(new ZodPipe(PreviewTemplate)) body: PreviewTemplate, @Caller() caller: Principal) {
    assertTemplateUsable(body);
    await assertIncidentVisible(this.dataSource, 'comms', body.incidentId, caller);
    const incident = await requireSnapshot(this.dataSource, body.incidentId);
    const saved = await effectiveTemplate(this.dataSource, body.audience, body.purpose);
    const audience = await audienceOf(this.dataSource, body.audience);
    let obligation = null;
    if (body.obligationId) {
      const [row]: ObligationRow[] = await this.dataSource.query(`SELECT * FROM comms.obligations WHERE id = $1 AND incident_id = $2`, [body.obligationId, body.incidentId]);
      if (!row) throw Problem.unprocessable([{ pointer: '/obligationId', detail: 'is not a regulatory clock of this incident' }]);
      const [decision]: DecisionRow[] = await this.dataSource.query(`SELECT * FROM comms.decisions WHERE id = $1`, [row.decision_id]);
      obligation = this.obligations.facts(row, decision, incident);
    }
    const view = buildTemplateView(incident, { organisation: this.obligations.organisation, audience: body.audience, purpose: body.purpose, note: body.note ?? null, obligation });
    try {
      const composed = await composeMessage({
        messageId: '00000000-0000-4000-8000-000000000000',
        audience: body.audience,
        template: { subject: body.subject ?? saved.subject, body: body.body ?? saved.body },
        view,
        channels: PREVIEW_CHANNELS,
        recipients: audience.recipients,
      });
      return { subject: composed.subject, text: composed.text, renders: composed.deliveries.map((d) => ({ kind: d.kind, subject: composed.subject, body: d.body })) };
    } catch (error) {
      if (error instanceof TemplateError) throw Problem.unprocessable(error.issues.map((i) => ({ pointer: '/body', detail: i.line ? `line ${i.line}, column ${i.column}: ${i.detail}` : i.detail })), 'The template could not be rendered.');
      throw error;
    }
  }
}
