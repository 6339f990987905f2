import { Problem } from '@vigil/platform';

/**
 * Reviews change under If-Match, as incidents do (ADR 0007): the version read is sent back, so
 * that two people editing one review never silently overwrite each other.
 */
export function assertReviewVersion(ifMatch: string | undefined, current: number, incidentId: string): void {
  const raw = ifMatch?.trim();
  if (!raw) {
    throw new Problem(428, 'Precondition required', 'Send If-Match with the review version you read (its ETag, e.g. If-Match: "3") so that a concurrent change is not overwritten.');
  }
  if (raw === '*') return;
  const versions = raw.split(',').map((tag) => /^\s*"?(\d{1,9})"?\s*$/.exec(tag)?.[1]);
  if (versions.some((v) => v === undefined)) {
    throw Problem.validation([{ pointer: '/headers/if-match', detail: 'must be the review ETag, e.g. "3" (weak tags never match)' }]);
  }
  if (versions.map(Number).includes(current)) return;
  throw new Problem(
    412,
    'Precondition failed',
    `The review of incident ${incidentId} is at version ${current}, not ${versions.join(' or ')}: someone changed it since you read it. Read it again and retry.`,
    { currentVersion: current },
    { etag: `"${current}"` },
  );
}
