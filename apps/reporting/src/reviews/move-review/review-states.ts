import type { ReviewState } from '@vigil/contracts';

/** draft → in_review → completed; in review, it can go back to draft for more work. Completed is final. */
const NEXT: Record<ReviewState, readonly ReviewState[]> = {
  draft: ['in_review'],
  in_review: ['draft', 'completed'],
  completed: [],
};

export function allowedReviewTransitions(from: ReviewState): readonly ReviewState[] {
  return NEXT[from];
}

/** What a review must say before it can be completed: the fields still empty. */
export function missingForCompletion(review: { summary: string; impact: string; root_cause: string }): string[] {
  return (
    [
      ['summary', review.summary],
      ['impact', review.impact],
      ['rootCause', review.root_cause],
    ] as const
  )
    .filter(([, value]) => value.trim().length === 0)
    .map(([field]) => field);
}
