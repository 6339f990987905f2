import { Controller, Get, Inject, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, assertIncidentVisible, Caller, CONFIG, Permit, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { ReportingConfig } from '../../config';
import { ApiReportDownload, ReportQuery, sendReport } from '../document/send-report';
import { loadIncidentRecord } from './incident-record';
import { incidentReportDocument } from './incident-report-document';


@ApiTags('reports')
@Controller('v1/incidents')
export class IncidentReportController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ReportingConfig,
  ) {}

  @Get(':incidentId/report')
  @Permit('reports.read')
  @ApiOperation({
    summary: 'The incident report, as Markdown or PDF',
    description:
      'Classification and severity with the reasons given, the clock and MTTx, alerts and assets, the timeline with the review\'s key moments, ' +
      'tasks and who did them, communications sent and regulatory notices, the post-incident review and its action items, and a digest of ' +
      'reporting\'s audit records of the incident. Built in code from the records; nothing in it is a template.',
    operationId: 'getIncidentReport',
  })
  @ApiReportDownload()
  @ApiProblems(400, 404, 503)
  async get(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Query(new ZodPipe(ReportQuery, 'query')) query: z.infer<typeof ReportQuery>,
    @Caller() caller: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const now = new Date();
    const record = await loadIncidentRecord(this.dataSource, incidentId, now);
    await sendReport(reply, incidentReportDocument(record, now), query.format, `incident-${incidentId}`, this.config);
  }
}
