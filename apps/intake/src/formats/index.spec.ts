import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, problems } from './__fixtures__/harness';
import * as formats from './index';
import type { MappingResult } from './signal';

const mapperOf: Record<string, (body: unknown) => MappingResult> = {
  alertmanager: formats.mapAlertmanager,
  grafana: formats.mapAlertmanager,
  pagerduty: formats.mapPagerDuty,
  ocsf: formats.mapOcsf,
  elastic: formats.mapElastic,
  splunk: formats.mapSplunk,
};
const fixtures = readdirSync(join(__dirname, '__fixtures__')).filter((f) => f.endsWith('.json'));

/** The value with the leaf (or subtree) chosen by `path` replaced. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0] % keys.length];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...value };
  copy[key] = mutate((value as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

describe('formats', () => {
  it('has a mapper for every fixture, and every fixture maps cleanly', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    for (const file of fixtures) {
      const map = mapperOf[file.split('-')[0]];
      expect(map).toBeDefined();
      const result = map(fixture(file));
      expect(problems(result)).toEqual([]);
      expect(result.ok).toBe(true);
    }
  });

  it('exports each mapper, the report schema and the severity table', () => {
    for (const name of ['mapCanonical', 'mapAlertmanager', 'mapPagerDuty', 'mapOcsf', 'mapElastic', 'mapSplunk', 'mapReport', 'extractObservables', 'pagerDutyInvalidEvent'] as const) {
      expect(typeof formats[name]).toBe('function');
    }
    expect(formats.IncidentReport.meta()?.id).toBe('IncidentReport');
    expect(formats.SEVERITY_MAPPING_TABLE.length).toBeGreaterThan(40);
  });

  it.each(fixtures)('%s with any one part replaced by anything still maps cleanly or names the bad field (property)', (file) => {
    const map = mapperOf[file.split('-')[0]];
    const base = fixture(file);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), fc.anything({ maxDepth: 3 }), (path, replacement) => {
        expect(problems(map(mutate(base, path, replacement)))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
