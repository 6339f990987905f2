import { smallestRecoveryTimeObjective } from './match-assets';

describe('the assets of an incident', () => {
  it('give the smallest recovery time objective set among them, or null', () => {
    expect(smallestRecoveryTimeObjective([{ recoveryTimeObjectiveMinutes: 240 }, { recoveryTimeObjectiveMinutes: null }, { recoveryTimeObjectiveMinutes: 60 }])).toBe(60);
    expect(smallestRecoveryTimeObjective([{ recoveryTimeObjectiveMinutes: null }, {}])).toBeNull();
    expect(smallestRecoveryTimeObjective([])).toBeNull();
  });
});
