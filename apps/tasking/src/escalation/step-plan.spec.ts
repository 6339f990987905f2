import { allPositions, nextPosition, stepKey } from './step-plan';

const step = { targets: [], waitMinutes: 5 };

describe('escalation step plan', () => {
  it('runs the steps once when nothing repeats', () => {
    expect(allPositions({ steps: [step, step, step], repeat: { times: 0, fromStep: 1 } }).map(stepKey)).toEqual(['0.1', '0.2', '0.3']);
  });

  it('repeats the whole policy K more times', () => {
    expect(allPositions({ steps: [step, step], repeat: { times: 2, fromStep: 1 } }).map(stepKey)).toEqual(['0.1', '0.2', '1.1', '1.2', '2.1', '2.2']);
  });

  it('repeats from step N, keeping a distinct key for each pass', () => {
    expect(allPositions({ steps: [step, step, step], repeat: { times: 2, fromStep: 2 } }).map(stepKey)).toEqual(['0.1', '0.2', '0.3', '1.2', '1.3', '2.2', '2.3']);
  });

  it('has no step after the last of the last pass', () => {
    expect(nextPosition({ steps: [step], repeat: { times: 1, fromStep: 1 } }, { cycle: 1, index: 0 })).toBeNull();
  });
});
