import { applyDecorators } from '@nestjs/common';
import { ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ReportingConfig } from '../../config';
import { renderMarkdown } from './markdown';
import { renderPdf } from './pdf';
import type { ReportDocument } from './report-document';

/** The format a report is asked for (`?format=`); Markdown unless PDF is asked for. */
export const ReportFormat = z.enum(['markdown', 'pdf']).default('markdown');
/** The query of a report that takes nothing but its format. */
export const ReportQuery = z.strictObject({ format: ReportFormat });

/** Documents a report download: `?format=` and the answer as Markdown or PDF. */
export function ApiReportDownload(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'format', required: false, enum: ['markdown', 'pdf'], description: 'default markdown' }),
    ApiResponse({
      status: 200,
      description: 'The report',
      content: { 'text/markdown': { schema: { type: 'string' } }, 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
    }),
  );
}

/** Sends a report as a download, in the format asked for. */
export async function sendReport(reply: FastifyReply, doc: ReportDocument, format: 'markdown' | 'pdf', name: string, config: Pick<ReportingConfig, 'REPORTING_PDF_FONT' | 'REPORTING_PDF_FONT_BOLD'>): Promise<void> {
  if (format === 'pdf') {
    const pdf = await renderPdf(doc, { regular: config.REPORTING_PDF_FONT, bold: config.REPORTING_PDF_FONT_BOLD });
    await reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(pdf);
    return;
  }
  await reply.header('content-type', 'text/markdown; charset=utf-8').header('content-disposition', `attachment; filename="${name}.md"`).send(renderMarkdown(doc));
}
