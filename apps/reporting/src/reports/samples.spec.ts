import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterActionReportDocument } from '../exercises/after-action-report/after-action-report-document';
import { loadScenarios } from '../exercises/scenarios/scenario-library';
import { renderMarkdown } from './document/markdown';
import { incidentReportDocument } from './incident-report/incident-report-document';
import { sampleExercise, sampleIncidentRecord, SAMPLE_NOW } from './__fixtures__/sample-records';

/**
 * The sample reports in docs/samples are what the code renders from the fixture: a change to a
 * report shows up here first. VIGIL_WRITE_SAMPLES=1 writes them anew.
 */
const docs = join(__dirname, '..', '..', '..', '..', 'docs', 'samples');

function matchesSample(file: string, rendered: string) {
  if (process.env.VIGIL_WRITE_SAMPLES === '1') writeFileSync(join(docs, file), rendered);
  expect(rendered).toBe(readFileSync(join(docs, file), 'utf8'));
}

describe('sample reports (docs/samples)', () => {
  it('has the incident report of a ransomware incident as the code renders it', () => {
    matchesSample('incident-report.md', renderMarkdown(incidentReportDocument(sampleIncidentRecord, SAMPLE_NOW)));
  });

  it('has the after-action report of a ransomware exercise as the code renders it', () => {
    const scenario = loadScenarios().get('ransomware')!;
    const { view, audit } = sampleExercise(scenario);
    matchesSample('after-action-report.md', renderMarkdown(afterActionReportDocument(view, scenario, audit, new Date('2026-11-19T11:00:00Z'))));
  });
});

describe(incidentReportDocument.name, () => {
  const md = renderMarkdown(incidentReportDocument(sampleIncidentRecord, SAMPLE_NOW));

  it('computes each MTTx figure from the clock', () => {
    expect(md).toContain('| MTTD (time to detect) | detectedAt − occurredAt | 3 min 10 s |');
    expect(md).toContain('| MTTA (time to acknowledge) | acknowledgedAt − detectedAt | 2 min 52 s |');
    expect(md).toContain('| MTTC (time to contain) | containedAt − detectedAt | 50 min 35 s |');
    expect(md).toContain('| MTTR (time to recover) | recoveredAt − detectedAt | 14 h 23 min |');
  });

  it('lists the communications sent and says when no regulatory notice was recorded', () => {
    const comms = md.slice(md.indexOf('## Communications sent'), md.indexOf('### Regulatory'));
    expect(comms.match(/Notification to/g)).toHaveLength(2);
    expect(md).toContain('No regulatory notice or deadline was recorded for this incident.');
  });

  it('marks the review\'s key moments on the timeline and names the reasons of the classification', () => {
    expect(md).toMatch(/\| 2026-11-24 07:31:45 \| triage \| Phase triaged → contained by u-sam .* \| Contained \|/);
    expect(md).toContain('by u-alice (HR share holds personal data; backups intact)');
  });

  it('says what the audit digest covers', () => {
    expect(md).toContain('- **Records naming this incident:** 9 (sequence 1204 to 1288)');
    expect(md).toContain("Covers the changes made through reporting's API to this incident's records");
  });
});
