// @nestjs/common 12 ships only as ES modules, which the unit project does not transform; the
// handler only needs @Injectable from it. The outbox is replaced so that no database is needed.
jest.mock('@nestjs/common', () => ({ Injectable: () => () => undefined }));
jest.mock('@vigil/messaging', () => ({ enqueueEvent: jest.fn(async () => undefined) }));

import { AlertReceivedV1, Topics, type AffectedAsset, type CanonicalAlert, type CloudEvent } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { ReceiveAlertHandler, deriveDedupKey } from './receive-alert.handler';

const base = {
  source: 'edr:crowdstrike',
  title: 'Credential dumping detected',
  assets: [{ hostname: 'web-01', ip: '10.0.4.21' }, { id: 'asset-42' }, { name: 'Payroll DB' }] as AffectedAsset[],
};

const assetArb: fc.Arbitrary<AffectedAsset> = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 20 }),
      hostname: fc.domain(),
      ip: fc.ipV4(),
      name: fc.string({ minLength: 1, maxLength: 20 }),
    },
    { requiredKeys: [] },
  )
  .filter((a) => Object.keys(a).length > 0);
const alertArb = fc.record({
  source: fc.string({ minLength: 1, maxLength: 200 }),
  title: fc.string({ minLength: 1, maxLength: 500 }),
  assets: fc.option(fc.array(assetArb, { maxLength: 10 }), { nil: undefined }),
});

describe(deriveDedupKey.name, () => {
  it('is vigil: followed by 40 hex digits', () => {
    expect(deriveDedupKey(base)).toMatch(/^vigil:[0-9a-f]{40}$/);
  });

  it('is stable: the same alert always gets the same key', () => {
    expect(deriveDedupKey(base)).toBe(deriveDedupKey(structuredClone(base)));
  });

  it('does not depend on the order of the assets', () => {
    expect(deriveDedupKey({ ...base, assets: [...base.assets!].reverse() })).toBe(deriveDedupKey(base));
  });

  it('treats no assets and an empty asset list alike', () => {
    expect(deriveDedupKey({ source: base.source, title: base.title })).toBe(deriveDedupKey({ ...base, assets: [] }));
  });

  it.each([
    ['the source', { source: 'edr:sentinelone' }],
    ['the title', { title: 'Credential dumping detected!' }],
    ['an asset', { assets: [{ hostname: 'web-02', ip: '10.0.4.21' }, { id: 'asset-42' }, { name: 'Payroll DB' }] }],
    ['an added asset', { assets: [...base.assets!, { hostname: 'web-03' }] }],
    ['a removed asset', { assets: base.assets!.slice(1) }],
    ['no assets at all', { assets: undefined }],
  ])('changes with %s', (_, patch) => {
    expect(deriveDedupKey({ ...base, ...patch })).not.toBe(deriveDedupKey(base));
  });

  it('keeps source and title apart, so moving text between them changes the key', () => {
    expect(deriveDedupKey({ source: 'edr', title: 'x dump' })).not.toBe(deriveDedupKey({ source: 'edr x', title: 'dump' }));
  });

  it('fits a CanonicalAlert dedup key, is stable and ignores asset order, whatever the alert (property)', () => {
    fc.assert(
      fc.property(
        alertArb.chain((alert) => {
          const assets = alert.assets ?? [];
          return fc.tuple(fc.constant(alert), fc.shuffledSubarray(assets, { minLength: assets.length, maxLength: assets.length }));
        }),
        ([alert, shuffled]) => {
          const key = deriveDedupKey(alert);
          expect(key).toMatch(/^vigil:[0-9a-f]{40}$/);
          expect(key.length).toBeLessThanOrEqual(255);
          expect(deriveDedupKey({ ...alert, assets: shuffled })).toBe(key);
        },
      ),
    );
  });
});

describe(ReceiveAlertHandler.name, () => {
  const enqueued = jest.mocked(enqueueEvent);
  const inserted: unknown[] = [];
  const manager = { insert: jest.fn(async (_entity: unknown, row: unknown) => void inserted.push(row)) };
  const dataSource = { transaction: async (work: (m: typeof manager) => Promise<void>) => work(manager) } as unknown as DataSource;
  const receivedAt = new Date('2026-11-24T06:41:00.000Z');

  beforeEach(() => {
    enqueued.mockClear();
    inserted.length = 0;
  });

  const enqueuedEvent = () => enqueued.mock.calls[0][2] as CloudEvent<{ dedupKey: string; occurredAt: string; exercise: boolean; labels: object }>;

  it('derives the dedup key when the source gave none, and keys the event by it', async () => {
    const alert: CanonicalAlert = { ...base, severity: 'high' };
    const accepted = await new ReceiveAlertHandler(dataSource).execute(alert, receivedAt);
    expect(accepted).toEqual({ alertId: expect.any(String), dedupKey: deriveDedupKey(alert), status: 'accepted' });
    expect(enqueued).toHaveBeenCalledWith(manager, 'intake', expect.objectContaining({ type: AlertReceivedV1.type, subject: accepted.dedupKey }), {
      topic: Topics.alerts,
      key: accepted.dedupKey,
    });
    expect(enqueuedEvent().data).toMatchObject({ alertId: accepted.alertId, dedupKey: accepted.dedupKey });
  });

  it("keeps the source's own dedup key", async () => {
    const accepted = await new ReceiveAlertHandler(dataSource).execute({ ...base, severity: 'low', dedupKey: 'edr-4711' }, receivedAt);
    expect(accepted.dedupKey).toBe('edr-4711');
    expect(enqueued.mock.calls[0][3]).toEqual({ topic: Topics.alerts, key: 'edr-4711' });
  });

  it('takes the receive time as occurredAt when the source gave none, and says so', async () => {
    await new ReceiveAlertHandler(dataSource).execute({ ...base, severity: 'low' }, receivedAt);
    expect(enqueuedEvent().data).toMatchObject({ occurredAt: receivedAt.toISOString(), exercise: false, labels: {} });
    expect(enqueuedEvent().time).toBe(receivedAt.toISOString());
    expect(inserted).toEqual([expect.objectContaining({ occurredAt: receivedAt, occurredAtFromSource: false, exercise: false })]);
  });

  it("keeps the source's occurredAt, normalised to UTC", async () => {
    await new ReceiveAlertHandler(dataSource).execute({ ...base, severity: 'low', occurredAt: '2026-11-24T07:40:00+01:00', exercise: true }, receivedAt);
    expect(enqueuedEvent().data).toMatchObject({ occurredAt: '2026-11-24T06:40:00.000Z', exercise: true });
    expect(inserted).toEqual([expect.objectContaining({ occurredAtFromSource: true, exercise: true })]);
  });
});

describe(`${deriveDedupKey.name}, ambiguous names`, () => {
  it.each([
    [[{ name: 'db/primary' }], [{ hostname: 'db', name: 'primary' }]],
    [[{ name: 'a,b' }], [{ name: 'a' }, { name: 'b' }]],
    [[{ hostname: 'x' }], [{ name: 'x' }]],
  ])('keeps %j and %j apart', (a, b) => {
    expect(deriveDedupKey({ source: 's', title: 't', assets: a })).not.toBe(deriveDedupKey({ source: 's', title: 't', assets: b }));
  });
});
