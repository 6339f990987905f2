import type { AffectedAsset } from '@vigil/contracts';
import fc from 'fast-check';
import { deriveDedupKey } from './dedup-key';

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

describe(`${deriveDedupKey.name}, ambiguous names`, () => {
  it.each([
    [[{ name: 'db/primary' }], [{ hostname: 'db', name: 'primary' }]],
    [[{ name: 'a,b' }], [{ name: 'a' }, { name: 'b' }]],
    [[{ hostname: 'x' }], [{ name: 'x' }]],
  ])('keeps %j and %j apart', (a, b) => {
    expect(deriveDedupKey({ source: 's', title: 't', assets: a })).not.toBe(deriveDedupKey({ source: 's', title: 't', assets: b }));
  });
});
