import { reviewGateRefusal } from './review-gate-rule';

const id = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

describe(reviewGateRefusal.name, () => {
  it('lets an incident whose review is completed close', () => {
    expect(reviewGateRefusal(id, { state: 'completed' })).toBeUndefined();
  });

  it.each([
    ['draft', /its post-incident review is a draft, not completed/],
    ['in_review', /its post-incident review is in review, not completed/],
  ])('refuses, naming why, while the review is %s', (state, why) => {
    const refusal = reviewGateRefusal(id, { state })!;
    expect(refusal.detail).toMatch(why);
    expect(refusal.detail).toContain(`Incident ${id} cannot be closed`);
    expect(refusal.reviewState).toBe(state);
  });

  it('refuses while no review has been opened, and says who opens it', () => {
    const refusal = reviewGateRefusal(id, undefined)!;
    expect(refusal.detail).toMatch(/has not been opened yet \(reporting opens it when the incident enters post_incident\)/);
    expect(refusal.reviewState).toBeNull();
  });
});
