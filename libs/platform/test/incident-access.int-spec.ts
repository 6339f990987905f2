// @nestjs/common 12 ships only as ES modules, which the test projects do not transform; what is
// tested here needs none of it (Problem, beside it in the module, extends HttpException).
jest.mock('@nestjs/common', () => ({ HttpException: class extends Error {}, Catch: () => () => undefined }));

import type { IncidentSnapshot } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { testEnv } from '../../../test/support/harness';
import { incidentAccessMigration, recordIncidentAccess, recordIncidentAccesses } from '../src/auth/incident-access';

/**
 * A run of incident events records each incident's access in one statement, from its newest
 * snapshot in the run; an older snapshot (a replay, a reordering) changes nothing, as one by one.
 */
describe(recordIncidentAccesses.name, () => {
  const schema = `accesstest_${randomUUID().slice(0, 8)}`;
  let dataSource: DataSource;

  const snapshot = (incidentId: string, version: number, access: Partial<IncidentSnapshot> = {}): IncidentSnapshot => ({
    incidentId,
    title: 't',
    severity: 'SEV3',
    category: 'malware',
    phase: 'detected',
    exercise: false,
    alertCount: 1,
    version,
    timestamps: { occurredAt: '2026-11-29T06:00:00.000Z', detectedAt: '2026-11-29T06:00:00.000Z', declaredAt: '2026-11-29T06:00:00.000Z', acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    ...access,
  });

  const rows = async () =>
    (await dataSource.query(`SELECT incident_id, restricted, owner, responders, version FROM "${schema}".incident_access ORDER BY version, incident_id`)) as Array<{
      incident_id: string;
      restricted: boolean;
      owner: string | null;
      responders: string[];
      version: number;
    }>;

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', url: testEnv().adminUrl, extra: { max: 2 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    const Migration = incidentAccessMigration(schema);
    await new Migration().up(dataSource.createQueryRunner());
  });

  afterAll(async () => {
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  it('keeps the newest snapshot of each incident of the run, in one statement, and ignores older ones', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await recordIncidentAccess(dataSource, schema, snapshot(c, 5, { restricted: true, owner: 'u-irene', responders: ['u-alice'] }));
    await recordIncidentAccesses(dataSource, schema, [
      snapshot(a, 1),
      snapshot(b, 2, { restricted: true, owner: 'u-irene', responders: ['u-alice', 'u-bob'] }),
      snapshot(a, 3, { owner: 'u-sam', responders: [] }),
      snapshot(b, 1), // older: reordered
      snapshot(c, 4, { restricted: false }), // older than what is recorded
    ]);
    const byId = Object.fromEntries((await rows()).map((r) => [r.incident_id, r]));
    expect(byId[a]).toMatchObject({ restricted: false, owner: 'u-sam', responders: [], version: 3 });
    expect(byId[b]).toMatchObject({ restricted: true, owner: 'u-irene', responders: ['u-alice', 'u-bob'], version: 2 });
    expect(byId[c]).toMatchObject({ restricted: true, owner: 'u-irene', responders: ['u-alice'], version: 5 });
  });
});
