import { MAX_IMPORT_ROWS, parseAssetsCsv, type ParsedAssetsCsv } from './parse-assets-csv';

const HEADER = 'identifier,name,hostnames,ips,owner,business_service,criticality,data_classification';

function imported(csv: string) {
  const result = parseAssetsCsv(csv);
  if (!result.ok) throw new Error(`expected the file to be read, got: ${result.detail}`);
  return result;
}

function refused(csv: string): Extract<ParsedAssetsCsv, { ok: false }> {
  const result = parseAssetsCsv(csv);
  if (result.ok) throw new Error('expected the file to be refused');
  return result;
}

describe(parseAssetsCsv.name, () => {
  describe('reading rows', () => {
    it('reads every column of a row into an asset', () => {
      const { rows, failed } = imported(
        `${HEADER}\nCMDB-1,Payments web,web-01;web-01.example.com,10.0.4.21 2001:db8::1,pay@example.com,Payments,critical,restricted\n`,
      );
      expect(failed).toEqual([]);
      expect(rows).toEqual([
        {
          row: 2,
          asset: {
            identifier: 'CMDB-1',
            name: 'Payments web',
            hostnames: ['web-01', 'web-01.example.com'],
            ips: ['10.0.4.21', '2001:db8::1'],
            owner: 'pay@example.com',
            businessService: 'Payments',
            criticality: 'critical',
            dataClassification: 'restricted',
          },
        },
      ]);
    });

    it('needs only the required columns, and leaves the optional fields empty', () => {
      const { rows } = imported('identifier,name,criticality,data_classification\nA-1,Laptop,low,internal\n');
      expect(rows[0].asset).toEqual({ identifier: 'A-1', name: 'Laptop', hostnames: [], ips: [], criticality: 'low', dataClassification: 'internal' });
    });

    it('treats an empty optional value as absent', () => {
      const { rows } = imported(`${HEADER}\nA-1,Laptop,,,,,low,internal\n`);
      expect(rows[0].asset).toEqual({ identifier: 'A-1', name: 'Laptop', hostnames: [], ips: [], criticality: 'low', dataClassification: 'internal' });
    });

    it('reads header names in any case and order, around spaces', () => {
      const { rows } = imported(' Data_Classification , CRITICALITY,Name,Identifier\nrestricted,high,Vault,V-1\n');
      expect(rows[0].asset).toMatchObject({ identifier: 'V-1', name: 'Vault', criticality: 'high', dataClassification: 'restricted' });
    });

    it('reads criticality and data classification regardless of case', () => {
      const { rows } = imported('identifier,name,criticality,data_classification\nA-1,Laptop,Critical,CONFIDENTIAL\n');
      expect(rows[0].asset).toMatchObject({ criticality: 'critical', dataClassification: 'confidential' });
    });

    it('keeps commas and quotes inside quoted fields', () => {
      const { rows } = imported('identifier,name,criticality,data_classification\nA-1,"Build server, shared ""blue""",medium,internal\n');
      expect(rows[0].asset.name).toBe('Build server, shared "blue"');
    });

    it('keeps a quote inside an unquoted field as written', () => {
      const { rows } = imported('identifier,name,criticality,data_classification\nM-1,24" monitor,low,internal\n');
      expect(rows[0].asset.name).toBe('24" monitor');
    });

    it.each([
      ['semicolons', 'a;b;c'],
      ['spaces', 'a b  c'],
      ['both, with stray separators', ' a; b ;;c; '],
      ['a line break inside quotes', '"a\nb c"'],
    ])('splits hostnames separated by %s', (_, hostnames) => {
      const { rows } = imported(`identifier,name,hostnames,criticality,data_classification\nA-1,Lab,${hostnames},low,internal\n`);
      expect(rows[0].asset.hostnames).toEqual(['a', 'b', 'c']);
    });

    it('reads a file with CRLF line endings, numbering the lines as the file does', () => {
      const { rows, failed } = imported(`${HEADER}\r\nA-1,One,,,,,low,internal\r\nA-2,Two,,,,,urgent,internal\r\nA-3,Three,,,,,high,public\r\n`);
      expect(rows.map((r) => [r.row, r.asset.identifier])).toEqual([
        [2, 'A-1'],
        [4, 'A-3'],
      ]);
      expect(rows[1].asset.dataClassification).toBe('public'); // no stray \r at the end of the last field
      expect(failed.map((f) => f.row)).toEqual([3]);
    });

    it('numbers the line after a quoted field that spans CRLF line breaks correctly', () => {
      const { rows } = imported('identifier,name,criticality,data_classification\r\nA-1,"two\r\nlines",low,internal\r\nA-2,Next,low,internal\r\n');
      expect(rows.map((r) => r.row)).toEqual([2, 4]);
    });

    it.each([
      ['a bare header', '\uFEFFidentifier,name,criticality,data_classification'],
      ['a quoted header', '\uFEFF"identifier","name","criticality","data_classification"'],
    ])('skips a byte order mark before %s', (_, header) => {
      const { rows } = imported(`${header}\nA-1,Laptop,low,internal\n`);
      expect(rows.map((r) => r.asset.identifier)).toEqual(['A-1']);
    });

    it('ignores blank lines (and a blank trailing line), keeping the file\'s line numbers', () => {
      const { rows, failed } = imported('identifier,name,criticality,data_classification\n\nA-1,One,low,internal\n   \nA-2,Two,low,internal\n\n');
      expect(failed).toEqual([]);
      expect(rows.map((r) => r.row)).toEqual([3, 5]);
    });

    it('reads the last row when the file does not end in a line break', () => {
      expect(imported('identifier,name,criticality,data_classification\nA-1,One,low,internal').rows).toHaveLength(1);
    });

    it('skips a row whose every field is empty, as spreadsheets export them', () => {
      const { rows, failed } = imported('identifier,name,criticality,data_classification\nA-1,One,low,internal\n,,,\n');
      expect(rows).toHaveLength(1);
      expect(failed).toEqual([]);
    });

    it('reads a header with no rows as nothing to import', () => {
      expect(imported(`${HEADER}\n`)).toEqual({ ok: true, rows: [], failed: [] });
    });
  });

  describe('reporting bad rows', () => {
    const csv = (...rows: string[]) => ['identifier,name,ips,criticality,data_classification', ...rows].join('\n');

    it('reports a bad criticality by line and column, naming the value and the choices', () => {
      const { rows, failed } = imported(csv('A-1,One,,urgent,internal', 'A-2,Two,,low,internal'));
      expect(failed).toEqual([{ row: 2, identifier: 'A-1', errors: [{ column: 'criticality', detail: '"urgent" is not one of low, medium, high, critical' }] }]);
      expect(rows.map((r) => r.asset.identifier)).toEqual(['A-2']);
    });

    it('reports a bad data classification under its CSV column name', () => {
      const { failed } = imported(csv('A-1,One,,low,secret'));
      expect(failed[0].errors).toEqual([{ column: 'data_classification', detail: expect.stringContaining('"secret"') }]);
    });

    it('reports each bad IP address, naming it', () => {
      const { failed } = imported(csv('A-1,One,10.0.0.1;10.0.0.300;2001:db8::1;nope,low,internal'));
      expect(failed).toEqual([
        {
          row: 2,
          identifier: 'A-1',
          errors: [
            { column: 'ips', detail: '"10.0.0.300" is not an IPv4 or IPv6 address' },
            { column: 'ips', detail: '"nope" is not an IPv4 or IPv6 address' },
          ],
        },
      ]);
    });

    it('reports a bad hostname', () => {
      const { failed } = imported('identifier,name,hostnames,criticality,data_classification\nA-1,One,web_01;bad/host,low,internal\n');
      expect(failed[0].errors).toEqual([{ column: 'hostnames', detail: '"bad/host" is not a hostname' }]);
    });

    it('reports a missing required value as required, with no identifier when that is what is missing', () => {
      const { failed } = imported(csv(',One,,low,internal', 'A-2,,,low,'));
      expect(failed).toEqual([
        { row: 2, identifier: null, errors: [{ column: 'identifier', detail: 'is required' }] },
        {
          row: 3,
          identifier: 'A-2',
          errors: [
            { column: 'name', detail: 'is required' },
            { column: 'data_classification', detail: 'is required' },
          ],
        },
      ]);
    });

    it('reports every bad column of a row at once', () => {
      const { failed } = imported(csv('A-1,One,not-an-ip,urgent,secret'));
      expect(failed[0].errors.map((e) => e.column)).toEqual(['ips', 'criticality', 'data_classification']);
    });

    it('refuses a row holding a NUL character, by column, and still reads the rows around it', () => {
      const { rows, failed } = imported(csv('A-0,Zero,,low,internal', 'A-1,On\u0000e,10.0.0.1\u0000,low,internal', 'A-2,Two,,low,internal'));
      expect(failed).toEqual([
        {
          row: 3,
          identifier: 'A-1',
          errors: [
            { column: 'name', detail: 'must not contain the NUL character (U+0000)' },
            { column: 'ips', detail: 'must not contain the NUL character (U+0000)' },
          ],
        },
      ]);
      expect(rows.map((r) => r.asset.identifier)).toEqual(['A-0', 'A-2']);
    });

    it('reports a value that is too long', () => {
      const { failed } = imported(csv(`A-1,${'x'.repeat(201)},,low,internal`));
      expect(failed[0].errors).toEqual([{ column: 'name', detail: expect.stringMatching(/is longer than 200 characters$/) }]);
    });

    it.each([
      ['too many', 'A-1,One,,low,internal,extra', 6],
      ['too few', 'A-1,One,low', 3],
    ])('reports a row with %s fields and still reads the rows around it', (_, row, fields) => {
      const { rows, failed } = imported(csv('A-0,Zero,,low,internal', row, 'A-2,Two,,low,internal'));
      expect(failed).toEqual([{ row: 3, identifier: 'A-1', errors: [{ column: '', detail: `has ${fields} field(s) where the header has 5` }] }]);
      expect(rows.map((r) => r.row)).toEqual([2, 4]);
    });

    it('reports a repeated identifier (regardless of case) on its later row, keeping the first', () => {
      const { rows, failed } = imported(csv('A-1,One,,low,internal', 'A-2,Two,,low,internal', 'a-1,Again,,high,internal'));
      expect(rows.map((r) => r.asset.name)).toEqual(['One', 'Two']);
      expect(failed).toEqual([{ row: 4, identifier: 'a-1', errors: [{ column: 'identifier', detail: 'repeats the identifier of line 2' }] }]);
    });

    it('lists failed rows in file order', () => {
      const { failed } = imported(csv('A-1,One,,urgent,internal', 'A-2,Two,,low,internal,extra', 'A-3,Three,,urgent,internal'));
      expect(failed.map((f) => f.row)).toEqual([2, 3, 4]);
    });
  });

  describe('refusing the file', () => {
    it('names unknown columns and lists the known ones', () => {
      const result = refused('identifier,name,criticality,data_classification,colour,Rack\nA-1,One,low,internal,red,b4\n');
      expect(result.detail).toContain('unknown column(s) "colour", "rack"');
      expect(result.detail).toContain('business_service');
      expect(result.extra).toMatchObject({ unknownColumns: ['colour', 'rack'], missingColumns: [] });
    });

    it('names missing required columns', () => {
      const result = refused('identifier,hostnames\nA-1,web-01\n');
      expect(result.detail).toContain('missing required column(s) "name", "criticality", "data_classification"');
      expect(result.extra).toMatchObject({ missingColumns: ['name', 'criticality', 'data_classification'] });
    });

    it('names a column given twice', () => {
      expect(refused('identifier,name,Name,criticality,data_classification\n').detail).toContain('repeated column(s) "name"');
    });

    it.each([
      ['nothing', ''],
      ['only blank lines', '\n\n  \n'],
      ['only a byte order mark', '\uFEFF'],
    ])('refuses a file holding %s, asking for a header row', (_, csv) => {
      expect(refused(csv).detail).toMatch(/needs a header row/);
    });

    it(`takes ${MAX_IMPORT_ROWS} rows`, () => {
      const rows = Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => `A-${i},Asset ${i},low,internal`);
      expect(imported(['identifier,name,criticality,data_classification', ...rows].join('\n')).rows).toHaveLength(MAX_IMPORT_ROWS);
    });

    it(`refuses more than ${MAX_IMPORT_ROWS} rows, naming the limit, even when some are bad`, () => {
      const rows = Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => `A-${i},Asset ${i},low,internal`);
      const result = refused(['identifier,name,criticality,data_classification', ...rows, 'A-x,Extra'].join('\n'));
      expect(result.detail).toContain(`more than ${MAX_IMPORT_ROWS} rows`);
      expect(result.extra).toEqual({ maxRows: MAX_IMPORT_ROWS });
    });

    it.each([
      ['a quote that is never closed', 'identifier,name,criticality,data_classification\nA-1,One,low,internal\nA-2,"Two,low,internal\nA-3,Three,low,internal\n', 3, 'a quoted field is never closed'],
      ['text after a closing quote', 'identifier,name,criticality,data_classification\nA-1,"One"x,low,internal\n', 2, 'text follows the closing quote'],
    ])('refuses a file with %s, naming the line where the row starts', (_, csv, line, reason) => {
      const result = refused(csv);
      expect(result.detail).toMatch(new RegExp(`^The CSV is malformed at line ${line}: ${reason}`));
      expect(result.extra).toEqual({ line });
      expect(result.detail).toContain('Nothing was imported');
    });
  });
});
