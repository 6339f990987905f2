/**
 * Lessons learned come before closing: an incident that went through post_incident is closed only
 * once its post-incident review (kept by reporting) is completed. Triage knows the review's state
 * from reporting's events; until the first one arrives, there is no review to speak of.
 */
export function reviewGateRefusal(incidentId: string, review: { state: string } | undefined): { detail: string; reviewState: string | null } | undefined {
  if (review?.state === 'completed') return undefined;
  const why = review
    ? `its post-incident review is ${review.state === 'in_review' ? 'in review' : 'a draft'}, not completed`
    : 'its post-incident review has not been opened yet (reporting opens it when the incident enters post_incident)';
  return { detail: `Incident ${incidentId} cannot be closed: ${why}. Complete the review first.`, reviewState: review?.state ?? null };
}
