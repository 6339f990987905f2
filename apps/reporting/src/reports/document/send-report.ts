import type { FastifyReply } from 'fastify';
import type { ReportingConfig } from '../../config';
import { renderMarkdown } from './markdown';
import { renderPdf } from './pdf';
import type { ReportDocument } from './report-document';

/** Sends a report as a download, in the format asked for. */
export async function sendReport(reply: FastifyReply, doc: ReportDocument, format: 'markdown' | 'pdf', name: string, config: Pick<ReportingConfig, 'REPORTING_PDF_FONT' | 'REPORTING_PDF_FONT_BOLD'>): Promise<void> {
  if (format === 'pdf') {
    const pdf = await renderPdf(doc, { regular: config.REPORTING_PDF_FONT, bold: config.REPORTING_PDF_FONT_BOLD });
    await reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(pdf);
    return;
  }
  await reply.header('content-type', 'text/markdown; charset=utf-8').header('content-disposition', `attachment; filename="${name}.md"`).send(renderMarkdown(doc));
}
