import type { Block, ReportDocument } from './report-document';

/**
 * Text from the records (alert titles, notes, review text) is attacker-influenced: it is escaped
 * so that it reads as the text it is, never as links, images, HTML or table structure.
 */
export function escapeMarkdown(text: string): string {
  return (
    escapeInline(text.replace(/\r\n?/g, '\n'))
      // Block markers at the start of a line: headings, lists, setext underlines.
      .replace(/^(\s*)([#+=-])/gm, (_m, space: string, marker: string) => `${space}\\${marker}`)
      .replace(/^(\s*)(\d+)\./gm, (_m, space: string, digits: string) => `${space}${digits}\\.`)
  );
}

/** Escaping for text inside a line (a table cell, a field after its label): no block markers to fear. */
export function escapeInline(text: string): string {
  return (
    text
      // Always: escapes, code, emphasis, links and images (no [ means no link), HTML, tables, strikethrough.
      .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
      // Underscores emphasise only at a word's edge; snake_case stays as it is.
      .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
  );
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** One line in a table cell or a field: no line breaks, pipes escaped. */
function cell(text: string): string {
  return escapeInline(oneLine(text)) || ' ';
}

function block(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${cell(b.text)}`;
    case 'paragraph':
      return escapeMarkdown(b.text);
    case 'note':
      return `_${cell(b.text)}_`;
    case 'fields':
      return b.rows.map(([label, value]) => `- **${cell(label)}:** ${cell(value)}`).join('\n');
    case 'list':
      return b.items.length ? b.items.map((item) => `- ${escapeMarkdown(oneLine(item)) || ' '}`).join('\n') : '_None._';
    case 'table':
      if (b.rows.length === 0) return '_None._';
      return [
        `| ${b.columns.map(cell).join(' | ')} |`,
        `| ${b.columns.map(() => '---').join(' | ')} |`,
        ...b.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
      ].join('\n');
  }
}

export function renderMarkdown(doc: ReportDocument): string {
  return [`# ${cell(doc.title)}`, `_${cell(doc.subtitle)}_`, `_Generated ${cell(doc.generatedAt)}. All times are UTC._`, ...doc.blocks.map(block)].join('\n\n') + '\n';
}
