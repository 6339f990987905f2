import { escapeMarkdown, renderMarkdown } from './markdown';
import { formatDuration, formatInstant, formatRatio, type ReportDocument } from './report-document';

describe(escapeMarkdown.name, () => {
  it.each([
    ['a link', '[click](http://evil.example)', '\\[click\\](http://evil.example)'],
    ['an image', '![x](http://evil.example/p.png)', '!\\[x\\](http://evil.example/p.png)'],
    ['an autolink', '<http://evil.example>', '\\<http://evil.example\\>'],
    ['HTML', '<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['emphasis and code', '*bold* _it_ `code`', '\\*bold\\* \\_it\\_ \\`code\\`'],
    ['a heading at the start of a line', '# Owned', '\\# Owned'],
    ['a list marker at the start of a line', '- item\n1. first', '\\- item\n1\\. first'],
    ['a table pipe', 'a | b', 'a \\| b'],
  ])('neutralises %s', (_, input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('leaves ordinary prose readable', () => {
    expect(escapeMarkdown('Credential dumping on web-01, 10.0.4.21: contained (by sam).')).toBe('Credential dumping on web-01, 10.0.4.21: contained (by sam).');
    expect(escapeMarkdown('system_administrator and ir_team')).toBe('system_administrator and ir_team');
  });

  it('escapes underscores at the edge of a word, where they would emphasise', () => {
    expect(escapeMarkdown('_secret_ and __init__')).toBe('\\_secret\\_ and \\_\\_init\\_\\_');
  });
});

describe(renderMarkdown.name, () => {
  const doc: ReportDocument = {
    title: 'Incident report: Ransomware | on fs-01',
    subtitle: 'SEV1 ransomware',
    generatedAt: '2026-11-30 10:00:00 UTC',
    blocks: [
      { kind: 'heading', level: 2, text: 'Clock' },
      { kind: 'fields', rows: [['MTTA', '4 min 30 s']] },
      { kind: 'table', columns: ['When', 'What'], rows: [['06:40', 'Phase triaged → contained | by bob\nsecond line']] },
      { kind: 'table', columns: ['When'], rows: [] },
      { kind: 'list', items: [] },
    ],
  };

  it('renders headings, fields and tables, with cells kept on one line and their pipes escaped', () => {
    const md = renderMarkdown(doc);
    expect(md).toContain('# Incident report: Ransomware \\| on fs-01\n');
    expect(md).toContain('## Clock');
    expect(md).toContain('- **MTTA:** 4 min 30 s');
    expect(md).toContain('| When | What |\n| --- | --- |\n| 06:40 | Phase triaged → contained \\| by bob second line |');
  });

  it('says "None." for an empty table or list instead of leaving a broken table', () => {
    expect(renderMarkdown(doc).match(/_None\._/g)).toHaveLength(2);
  });
});

describe('formatting', () => {
  it.each([
    [45, '45 s'],
    [330, '5 min 30 s'],
    [7500, '2 h 5 min'],
    [86400 + 4 * 3600 + 59, '1 d 4 h'],
    [-90, '−1 min 30 s'],
    [null, '—'],
  ])('writes %p seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes instants in UTC to the second', () => {
    expect(formatInstant('2026-11-24T07:45:30.123+01:00')).toBe('2026-11-24 06:45:30 UTC');
    expect(formatInstant(null)).toBe('—');
  });

  it('writes ratios as percentages', () => {
    expect(formatRatio(0.8333)).toBe('83.3 %');
    expect(formatRatio(null)).toBe('—');
  });
});
