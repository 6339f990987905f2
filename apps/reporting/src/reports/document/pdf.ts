import PDFDocument from 'pdfkit';
import type { Block, ReportDocument } from './report-document';

/**
 * Fonts: a TrueType font when one is configured (REPORTING_PDF_FONT, e.g. DejaVu Sans, for any
 * script), else the PDF standard Helvetica, which only encodes Windows-1252: other characters are
 * written as their closest ASCII (→ as ->) rather than as garbage.
 */
export interface PdfFonts {
  regular?: string;
  bold?: string;
}

const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const ASCII_FOR: Record<string, string> = { '→': '->', '←': '<-', '−': '-', '≥': '>=', '≤': '<=', '✔': 'x', '✓': 'x', '×': 'x', '≈': '~', '÷': '/' };

export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || ch === '\t' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (ASCII_FOR[ch]) out += ASCII_FOR[ch];
    else out += ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '?');
  }
  return out;
}

const GREY = '#555555';
const RULE = '#bbbbbb';
const HEADER_FILL = '#eeeeee';

export function renderPdf(doc: ReportDocument, fonts: PdfFonts = {}): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: 50, bottom: 56, left: 50, right: 50 },
    bufferPages: true,
    info: { Title: doc.title, Subject: doc.subtitle, Creator: 'Vigil reporting' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', (e) => reject(e as Error));
  });
  let regular = 'Helvetica';
  let bold = 'Helvetica-Bold';
  let italic = 'Helvetica-Oblique';
  let t = toWinAnsi;
  if (fonts.regular) {
    pdf.registerFont('body', fonts.regular);
    pdf.registerFont('body-bold', fonts.bold ?? fonts.regular);
    regular = 'body';
    bold = 'body-bold';
    italic = 'body';
    t = (s) => s;
  }
  const left = pdf.page.margins.left;
  const width = pdf.page.width - left - pdf.page.margins.right;
  const bottom = () => pdf.page.height - pdf.page.margins.bottom;
  const ensure = (height: number) => {
    if (pdf.y + height > bottom()) pdf.addPage();
  };

  pdf.font(bold).fontSize(18).fillColor('black').text(t(doc.title), left, pdf.y, { width });
  pdf.font(italic).fontSize(10).fillColor(GREY).text(t(doc.subtitle), { width });
  pdf.text(t(`Generated ${doc.generatedAt}. All times are UTC.`), { width });
  pdf.fillColor('black').moveDown(0.5);

  const table = (b: Extract<Block, { kind: 'table' }>) => {
    if (b.rows.length === 0) {
      pdf.font(italic).fontSize(9).text('None.', left, pdf.y, { width });
      return;
    }
    const total = (b.widths ?? b.columns.map(() => 1)).reduce((a, w) => a + w, 0);
    const cols = (b.widths ?? b.columns.map(() => 1)).map((w) => (w / total) * width);
    const pad = 3;
    const rowHeight = (cells: string[], font: string) => {
      pdf.font(font).fontSize(8);
      return Math.max(...cells.map((c, i) => pdf.heightOfString(t(c) || ' ', { width: cols[i] - 2 * pad }))) + 2 * pad;
    };
    const drawRow = (cells: string[], font: string, fill?: string) => {
      const h = rowHeight(cells, font);
      const y = pdf.y;
      if (fill) pdf.rect(left, y, width, h).fill(fill);
      pdf.fillColor('black').font(font).fontSize(8);
      let x = left;
      cells.forEach((c, i) => {
        pdf.text(t(c) || ' ', x + pad, y + pad, { width: cols[i] - 2 * pad });
        x += cols[i];
      });
      pdf.moveTo(left, y + h).lineTo(left + width, y + h).lineWidth(0.5).stroke(RULE);
      pdf.x = left;
      pdf.y = y + h;
    };
    ensure(rowHeight(b.columns, bold) + rowHeight(b.rows[0], regular));
    drawRow(b.columns, bold, HEADER_FILL);
    for (const row of b.rows) {
      const h = rowHeight(row, regular);
      if (pdf.y + h > bottom()) {
        pdf.addPage();
        drawRow(b.columns, bold, HEADER_FILL); // the header again on every page the table runs over
      }
      drawRow(row, regular);
    }
  };

  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        ensure(b.level === 2 ? 60 : 40);
        pdf.moveDown(b.level === 2 ? 0.8 : 0.4);
        pdf.font(bold).fontSize(b.level === 2 ? 14 : 11).fillColor('black').text(t(b.text), left, pdf.y, { width });
        pdf.moveDown(0.3);
        break;
      case 'paragraph':
        pdf.font(regular).fontSize(10).fillColor('black').text(t(b.text), left, pdf.y, { width, paragraphGap: 4 });
        break;
      case 'note':
        pdf.font(italic).fontSize(8.5).fillColor(GREY).text(t(b.text), left, pdf.y, { width, paragraphGap: 4 });
        pdf.fillColor('black');
        break;
      case 'fields':
        for (const [label, value] of b.rows) {
          ensure(14);
          pdf.font(bold).fontSize(9.5).fillColor('black').text(t(`${label}: `), left, pdf.y, { width, continued: true });
          pdf.font(regular).text(t(value || '—'));
        }
        break;
      case 'list':
        if (b.items.length === 0) pdf.font(italic).fontSize(9.5).text('None.', left, pdf.y, { width });
        for (const item of b.items) {
          ensure(14);
          pdf.font(regular).fontSize(9.5).fillColor('black').text(t(`•  ${item}`), left + 6, pdf.y, { width: width - 6, paragraphGap: 2 });
        }
        break;
      case 'table':
        table(b);
        break;
    }
  }

  // Page numbers, written into the bottom margin of every page once all pages exist.
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    pdf.font(regular).fontSize(8).fillColor(GREY).text(t(`${doc.title} · page ${i + 1} of ${range.count}`), left, pdf.page.height - 36, { width, align: 'center', lineBreak: false });
    pdf.page.margins.bottom = margin;
  }
  pdf.end();
  return done;
}
