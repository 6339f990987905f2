import { CanonicalAlert } from '@vigil/contracts';
import fc from 'fast-check';
import { problems } from './__fixtures__/harness';
import { mapCanonical, mapCanonicalItem } from './canonical';
import { deriveDedupKey } from './dedup-key';

const example = (CanonicalAlert.meta()?.examples as unknown[])[0] as CanonicalAlert;

describe('mapCanonical', () => {
  it("maps the contract's own example into a trigger, keeping its dedup key", () => {
    const result = mapCanonical(example);
    expect(problems(result)).toEqual([]);
    expect(result).toEqual({ ok: true, signals: [{ action: 'trigger', format: 'canonical', alert: example, raw: example }] });
  });

  it('derives the dedup key when none is given', () => {
    const { dedupKey: _k, ...withoutKey } = example;
    const result = mapCanonical(withoutKey);
    expect(result.ok && result.signals[0].alert.dedupKey).toBe(deriveDedupKey(withoutKey));
  });

  it('rejects unknown fields and names each bad field, as the canonical endpoint always has', () => {
    const result = mapCanonical({ ...example, severity: 'urgent', titel: 'typo', assets: [{}] });
    expect(problems(result)).toEqual([]);
    expect(result.ok ? [] : result.errors.map((e) => e.pointer)).toEqual(['/severity', '/assets/0', '/titel']);
  });

  it('points into the batch for a batch item', () => {
    const result = mapCanonicalItem({ ...example, title: '' }, 7);
    expect(result.ok ? [] : result.errors.map((e) => e.pointer)).toEqual(['/alerts/7/title']);
  });

  it('never throws on anything (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapCanonical(body))).toEqual([]);
      }),
    );
  });
});
