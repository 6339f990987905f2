import type { EscalationStep } from '@vigil/contracts';

/** The policy version an escalation runs: copied when it starts, so later edits never reach it. */
export interface PolicySnapshot {
  policyId: string;
  version: number;
  name: string;
  steps: EscalationStep[];
  repeat: { times: number; fromStep: number };
}

export interface Position {
  cycle: number;
  index: number;
}

/** cycle.number (number 1-based): the key that makes each step of each pass run once. */
export function stepKey(p: Position): string {
  return `${p.cycle}.${p.index + 1}`;
}

/** The step after `p`: the next one, else the repeat's first (while repeats remain), else none. */
export function nextPosition(policy: Pick<PolicySnapshot, 'steps' | 'repeat'>, p: Position): Position | null {
  if (p.index + 1 < policy.steps.length) return { cycle: p.cycle, index: p.index + 1 };
  if (p.cycle < policy.repeat.times) return { cycle: p.cycle + 1, index: policy.repeat.fromStep - 1 };
  return null;
}

export function waitMs(step: EscalationStep): number {
  return Math.round(step.waitMinutes * 60_000);
}

/** Every step an escalation would run if nobody acknowledged, in order (for views and tests). */
export function allPositions(policy: Pick<PolicySnapshot, 'steps' | 'repeat'>): Position[] {
  const out: Position[] = [];
  for (let p: Position | null = { cycle: 0, index: 0 }; p; p = nextPosition(policy, p)) out.push(p);
  return out;
}
