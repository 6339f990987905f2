import { RegisterAsset, unstorableText, type AssetImportResult } from '@vigil/contracts';
import { parse, type CsvError } from 'csv-parse/sync';
import type { z } from 'zod';

export const MAX_IMPORT_ROWS = 10_000;

/** CSV column → RegisterAsset field. */
const FIELDS = {
  identifier: 'identifier',
  name: 'name',
  criticality: 'criticality',
  data_classification: 'dataClassification',
  hostnames: 'hostnames',
  ips: 'ips',
  owner: 'owner',
  business_service: 'businessService',
} as const satisfies Record<string, keyof RegisterAsset>;
type Column = keyof typeof FIELDS;

export const ASSET_CSV_COLUMNS = Object.keys(FIELDS) as Column[];
const REQUIRED: readonly Column[] = ['identifier', 'name', 'criticality', 'data_classification'];
const LISTS: readonly Column[] = ['hostnames', 'ips'];
const ENUMS: readonly Column[] = ['criticality', 'data_classification'];
const COLUMN_OF = Object.fromEntries(Object.entries(FIELDS).map(([column, field]) => [field, column])) as Record<string, Column>;

export type AssetImportFailure = AssetImportResult['failed'][number];

export interface AssetCsvRow {
  /** Line of the file where the row starts (the header is line 1). */
  row: number;
  asset: RegisterAsset;
}

export type ParsedAssetsCsv =
  | { ok: true; rows: AssetCsvRow[]; failed: AssetImportFailure[] }
  /** The file as a whole cannot be imported; nothing of it is. */
  | { ok: false; detail: string; extra: Record<string, unknown> };

interface RawRecord {
  line: number;
  fields: string[];
}

class TooManyRows extends Error {}

/**
 * The first line of a record, from csv-parse's count of lines at its end and its raw text. The raw
 * text starts with the blank lines skipped before the record, and ends with its line break.
 */
function startLine(endLine: number, raw: string | undefined): number {
  const text = (raw ?? '').replace(/^(?:[^\S\n]*\n)+/, '').replace(/\n$/, '');
  return endLine - (text.match(/\n/g)?.length ?? 0);
}

/** Says what is wrong with a value in a spreadsheet user's terms, naming the value. */
function describeIssue(issue: z.core.$ZodIssue, value: string | undefined): string {
  const shown = JSON.stringify(value);
  switch (issue.code) {
    case 'invalid_value':
      return `${shown} is not one of ${issue.values.join(', ')}`;
    case 'too_big':
      return issue.origin === 'array' ? `has more than ${String(issue.maximum)} values` : `${shown} is longer than ${String(issue.maximum)} characters`;
    default:
      return `${shown} ${issue.message}`;
  }
}

const QUOTING_ERRORS: Partial<Record<CsvError['code'], string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'text follows the closing quote of a field (a quote inside a quoted field is written "")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows the closing quote of a field (a quote inside a quoted field is written "")',
};

const splitList = (value: string) => value.split(/[;\s]+/).filter((v) => v !== '');
const quoted = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/**
 * Reads an asset register export: a header row naming the columns (in any order and case), then
 * one asset per row. Each row is checked on its own, so a bad row is reported by its line and
 * columns and does not keep the good ones out; only a file whose header or quoting is broken, or
 * that has more than {@link MAX_IMPORT_ROWS} rows, is refused as a whole.
 */
export function parseAssetsCsv(text: string): ParsedAssetsCsv {
  const records: RawRecord[] = [];
  const failed: AssetImportFailure[] = [];
  const wrongLength: RawRecord[] = [];
  let malformed: { line: number; error: CsvError } | undefined;
  const count = () => {
    // Stops reading at the first row past the limit (records include the header).
    if (records.length + wrongLength.length > MAX_IMPORT_ROWS + 1) throw new TooManyRows();
  };
  try {
    // csv-parse counts a CRLF inside a quoted field as two lines; with one kind of line break the
    // line numbers it reports are the file's.
    parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: false,
      relax_quotes: true, // `24" monitor`: a quote inside an unquoted field is part of the value
      raw: true,
      skip_records_with_error: true,
      // With `raw`, csv-parse hands each record over as { record, raw } (its types do not say so).
      on_record: (parsed: unknown, context) => {
        const { record, raw } = parsed as { record: string[]; raw: string };
        records.push({ line: startLine(context.lines, raw), fields: record });
        count();
        return null; // kept in `records`; nothing to return
      },
      on_skip: (error, raw) => {
        if (error?.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
          wrongLength.push({ line: startLine(error.lines as number, raw), fields: (error.record as string[] | undefined) ?? [] });
          count();
        } else if (error) {
          malformed ??= { line: startLine(error.lines as number, raw), error };
        }
      },
    });
  } catch (error) {
    if (!(error instanceof TooManyRows)) throw error;
    return {
      ok: false,
      detail: `The file has more than ${MAX_IMPORT_ROWS} rows; import it in parts of at most ${MAX_IMPORT_ROWS} rows.`,
      extra: { maxRows: MAX_IMPORT_ROWS },
    };
  }
  if (malformed) {
    // Past a broken quote csv-parse cannot tell where rows start, so nothing after it is trustworthy.
    return {
      ok: false,
      detail: `The CSV is malformed at line ${malformed.line}: ${QUOTING_ERRORS[malformed.error.code] ?? malformed.error.message}. Nothing was imported.`,
      extra: { line: malformed.line },
    };
  }
  const [header, ...rows] = records;
  if (!header) {
    return { ok: false, detail: `The file is empty: it needs a header row naming the columns ${ASSET_CSV_COLUMNS.join(', ')}.`, extra: {} };
  }

  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const unknown = columns.filter((c) => !(c in FIELDS));
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  const repeated = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))];
  if (unknown.length || missing.length || repeated.length) {
    const problems = [
      unknown.length ? `unknown column(s) ${quoted(unknown)}` : '',
      missing.length ? `missing required column(s) ${quoted(missing)}` : '',
      repeated.length ? `repeated column(s) ${quoted(repeated)}` : '',
    ].filter(Boolean);
    return {
      ok: false,
      detail: `The header row has ${problems.join('; ')}. The columns are ${ASSET_CSV_COLUMNS.join(', ')}; ${REQUIRED.join(', ')} are required.`,
      extra: { unknownColumns: unknown, missingColumns: missing, repeatedColumns: repeated },
    };
  }

  const identifierAt = columns.indexOf('identifier');
  const identifierOf = (fields: string[]) => fields[identifierAt]?.trim() || null;
  for (const record of wrongLength) {
    failed.push({
      row: record.line,
      identifier: identifierOf(record.fields),
      errors: [{ column: '', detail: `has ${record.fields.length} field(s) where the header has ${columns.length}` }],
    });
  }

  const valid: AssetCsvRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, fields } of rows) {
    if (fields.every((f) => f.trim() === '')) continue; // a spreadsheet's empty row (`,,,`)
    const values = Object.fromEntries(columns.map((c, i) => [c, fields[i].trim()])) as Partial<Record<Column, string>>;
    // A NUL byte (a binary file, a broken export) cannot be stored: the row is refused, by column.
    const unstorable = columns.flatMap((column) => {
      const detail = unstorableText(values[column as Column]!);
      return detail ? [{ column, detail }] : [];
    });
    if (unstorable.length > 0) {
      failed.push({ row: line, identifier: identifierOf(fields)?.replaceAll('\u0000', '') || null, errors: unstorable });
      continue;
    }
    const candidate: Record<string, unknown> = {};
    for (const column of columns as Column[]) {
      const value = values[column]!;
      if (value === '') continue;
      candidate[FIELDS[column]] = LISTS.includes(column) ? splitList(value) : ENUMS.includes(column) ? value.toLowerCase() : value;
    }
    const result = RegisterAsset.safeParse(candidate);
    const identifier = identifierOf(fields);
    if (!result.success) {
      failed.push({
        row: line,
        identifier,
        errors: result.error.issues.map((issue) => {
          const [field, index] = issue.path;
          const column = COLUMN_OF[String(field)] ?? String(field);
          const given = candidate[String(field)];
          const value = typeof index === 'number' ? (given as string[])[index] : values[column];
          return { column, detail: given === undefined ? 'is required' : describeIssue(issue, value) };
        }),
      });
      continue;
    }
    // Two rows for one asset would make the outcome depend on their order: the later one is refused.
    const key = result.data.identifier.toLowerCase();
    const first = firstLineOf.get(key);
    if (first !== undefined) {
      failed.push({ row: line, identifier, errors: [{ column: 'identifier', detail: `repeats the identifier of line ${first}` }] });
      continue;
    }
    firstLineOf.set(key, line);
    valid.push({ row: line, asset: result.data });
  }
  failed.sort((a, b) => a.row - b.row);
  return { ok: true, rows: valid, failed };
}
