import { reviewGateProblem } from './review-gate';

const id = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

describe(reviewGateProblem.name, () => {
  it('lets an incident whose review is completed close', () => {
    expect(reviewGateProblem(id, { state: 'completed' })).toBeUndefined();
  });

  it.each([
    ['draft', /its post-incident review is a draft, not completed/],
    ['in_review', /its post-incident review is in review, not completed/],
  ])('refuses with a 409 naming why while the review is %s', (state, why) => {
    const problem = reviewGateProblem(id, { state })!;
    expect(problem.status).toBe(409);
    expect(problem.detail).toMatch(why);
    expect(problem.detail).toContain(id);
    expect(problem.extra).toEqual({ reviewState: state, requiredReviewState: 'completed' });
  });

  it('refuses while no review has been opened, and says who opens it', () => {
    const problem = reviewGateProblem(id, undefined)!;
    expect(problem.status).toBe(409);
    expect(problem.detail).toMatch(/has not been opened yet \(reporting opens it when the incident enters post_incident\)/);
    expect(problem.extra.reviewState).toBeNull();
  });
});
