import { allowedReviewTransitions, missingForCompletion } from './review-states';

describe(allowedReviewTransitions.name, () => {
  it.each([
    ['draft', ['in_review']],
    ['in_review', ['draft', 'completed']],
    ['completed', []],
  ] as const)('lets a %s review go to %j', (from, to) => {
    expect(allowedReviewTransitions(from)).toEqual(to);
  });

  it('never skips the review: a draft cannot be completed directly', () => {
    expect(allowedReviewTransitions('draft')).not.toContain('completed');
  });
});

describe(missingForCompletion.name, () => {
  const written = { summary: 'What happened', impact: 'Who was hurt', root_cause: 'Why' };

  it('finds nothing missing in a written review', () => {
    expect(missingForCompletion(written)).toEqual([]);
  });

  it('names every empty or blank field by its API name', () => {
    expect(missingForCompletion({ summary: '', impact: '   ', root_cause: 'Why' })).toEqual(['summary', 'impact']);
    expect(missingForCompletion({ ...written, root_cause: '\n' })).toEqual(['rootCause']);
  });
});
