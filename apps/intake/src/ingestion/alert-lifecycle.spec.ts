import fc from 'fast-check';
import type { AlertAction } from '../formats/signal';
import { applyAction, type OpenAlert } from './alert-lifecycle';

describe(applyAction.name, () => {
  let n = 0;
  const newId = () => `alert-${++n}`;

  it('opens an alert on the first trigger and counts later triggers as occurrences', () => {
    const first = applyAction(null, 'trigger', newId);
    expect(first.step).toMatchObject({ outcome: 'created', occurrences: 1 });
    const second = applyAction(first.open, 'trigger', newId);
    expect(second.step).toMatchObject({ outcome: 'deduplicated', alertId: first.step.alertId, occurrences: 2 });
  });

  it('acknowledges only a triggered alert', () => {
    const open: OpenAlert = { id: 'a', status: 'triggered', occurrences: 1 };
    const acked = applyAction(open, 'acknowledge', newId);
    expect(acked.open?.status).toBe('acknowledged');
    expect(applyAction(acked.open, 'acknowledge', newId).step.outcome).toBe('ignored');
    expect(applyAction(null, 'acknowledge', newId).step).toMatchObject({ outcome: 'ignored', alertId: null });
  });

  it('resolves an open alert, after which a trigger opens a new one', () => {
    const open: OpenAlert = { id: 'a', status: 'acknowledged', occurrences: 3 };
    const resolved = applyAction(open, 'resolve', newId);
    expect(resolved).toEqual({ open: null, step: { action: 'resolve', outcome: 'resolved', alertId: 'a', occurrences: 3 } });
    expect(applyAction(null, 'resolve', newId).step.outcome).toBe('ignored');
    expect(applyAction(resolved.open, 'trigger', newId).step.alertId).not.toBe('a');
  });

  it('keeps the invariants over any sequence: one open alert at most, occurrences = triggers since it opened (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<AlertAction>('trigger', 'acknowledge', 'resolve'), { maxLength: 60 }), (actions) => {
        let open: OpenAlert | null = null;
        let created = 0;
        let triggersSinceOpen = 0;
        for (const action of actions) {
          const r = applyAction(open, action, newId);
          if (r.step.outcome === 'created') {
            created++;
            triggersSinceOpen = 1;
          } else if (action === 'trigger') triggersSinceOpen++;
          open = r.open;
          if (open) expect(open.occurrences).toBe(triggersSinceOpen);
        }
        const expectedCreated = actions.reduce(
          (acc, a) => (a === 'trigger' ? { open: true, n: acc.n + (acc.open ? 0 : 1) } : a === 'resolve' ? { open: false, n: acc.n } : acc),
          { open: false, n: 0 },
        ).n;
        expect(created).toBe(expectedCreated);
      }),
    );
  });
});
