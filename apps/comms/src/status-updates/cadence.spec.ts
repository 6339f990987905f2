import type { IncidentSnapshot } from '@vigil/contracts';
import type { AudienceRow } from '../audiences/audience-store';
import { afterUpdate, cadenceOf, nextCheckAt, stepCadence, type CadenceState } from './cadence';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 24, 9, 0) + minutes * 60_000);
const management = {
  audience: 'management',
  rule: { minSeverity: 'SEV2', categories: null, includeExercises: false, includeRestricted: false },
  status_cadence: { SEV1: 1800, SEV2: 7200 },
  cadence_grace_seconds: 600,
} as AudienceRow;
const incident = (over: Partial<IncidentSnapshot> = {}) => ({ severity: 'SEV1', category: 'ransomware', phase: 'triaged', exercise: false, restricted: false, mergedInto: null, ...over }) as IncidentSnapshot;

describe(cadenceOf.name, () => {
  it('owes management an update every 30 minutes on a SEV1, every 2 hours on a SEV2, none below', () => {
    expect(cadenceOf(management, incident())).toEqual({ intervalSeconds: 1800, graceSeconds: 600 });
    expect(cadenceOf(management, incident({ severity: 'SEV2' }))).toEqual({ intervalSeconds: 7200, graceSeconds: 600 });
    expect(cadenceOf(management, incident({ severity: 'SEV3' }))).toBeNull();
  });

  it('owes nothing once the incident is recovered, closed or merged', () => {
    for (const phase of ['recovered', 'post_incident', 'closed', 'false_positive'] as const) expect(cadenceOf(management, incident({ phase }))).toBeNull();
    expect(cadenceOf(management, incident({ mergedInto: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }))).toBeNull();
  });
});

describe('the status-update clock, on an injected time', () => {
  const start: CadenceState = afterUpdate(1800, 600, at(0));

  it('is quiet before the update is due', () => {
    expect(stepCadence(start, at(29))).toMatchObject({ remind: false, miss: false });
    expect(nextCheckAt(start)).toEqual(at(30));
  });

  it('reminds once when the update falls due, then checks again at the end of the grace period', () => {
    const due = stepCadence(start, at(30));
    expect(due).toMatchObject({ remind: true, miss: false });
    expect(nextCheckAt(due.next)).toEqual(at(40));
    expect(stepCadence(due.next, at(35))).toMatchObject({ remind: false, miss: false });
  });

  it('escalates once when the grace period runs out, then waits for an update', () => {
    const due = stepCadence(start, at(30)).next;
    const missed = stepCadence(due, at(40));
    expect(missed).toMatchObject({ remind: false, miss: true });
    expect(nextCheckAt(missed.next)).toBeNull();
    expect(stepCadence(missed.next, at(90))).toMatchObject({ remind: false, miss: false });
  });

  it('reminds and escalates together when the check comes late', () => {
    expect(stepCadence(start, at(45))).toMatchObject({ remind: true, miss: true });
  });

  it('starts over from the update that was sent', () => {
    expect(afterUpdate(1800, 600, at(37))).toEqual({ dueAt: at(67), graceSeconds: 600, remindedAt: null, missedAt: null });
  });
});
