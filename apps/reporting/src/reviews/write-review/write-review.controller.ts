import { Body, Controller, Headers, Param, ParseUUIDPipe, Patch, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReviewView, UpdateReview } from '@vigil/contracts';
import { ApiIfMatch, ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { updateReturning } from '../../persistence/sql';
import { incidentTimeline } from '../../timeline/timeline-entries';
import { reviewOf, type ReviewRow } from '../review-records';
import { assertReviewVersion } from '../review-version';
import { reviewView } from '../review-view';

const COLUMNS: Record<Exclude<keyof UpdateReview, 'keyMoments'>, string> = {
  summary: 'summary',
  impact: 'impact',
  rootCause: 'root_cause',
  contributingFactors: 'contributing_factors',
  whatWorked: 'what_worked',
  whatDidNot: 'what_did_not',
};

@ApiTags('reviews')
@Controller('v1/incidents')
export class WriteReviewController {
  constructor(private readonly dataSource: DataSource) {}

  @Patch(':incidentId/review')
  @Permit('reviews.write')
  @ApiOperation({
    summary: 'Write the review: summary, impact, root cause, contributing factors, what worked, what did not, key moments',
    description:
      'Only the fields sent change. keyMoments replaces the marked moments; each names a timeline entry of the incident by its eventId. ' +
      'A review can be written while it is a draft or in review; a completed review is final (409).',
    operationId: 'updateIncidentReview',
  })
  @ApiIfMatch('the review version you read, as its ETag ("3"); a stale one is a 412, a missing one a 428')
  @ApiJsonBody(UpdateReview)
  @ApiJsonResponse(200, ReviewView, 'The review as written')
  @ApiProblems(400, 404, 409, 412, 428, 503)
  async update(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(UpdateReview)) body: UpdateReview,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReviewView> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const updated = await this.dataSource.transaction(async (manager) => {
      const review = await reviewOf(manager, incidentId, true);
      assertReviewVersion(ifMatch, review.version, incidentId);
      if (review.state === 'completed') throw new Problem(409, 'Review completed', `The review of incident ${incidentId} is completed: it is final.`, { state: review.state });
      if (body.keyMoments) {
        const known = new Set((await incidentTimeline(manager, incidentId)).map((e) => e.eventId));
        const errors = body.keyMoments.flatMap((m, i) => (known.has(m.eventId) ? [] : [{ pointer: `/keyMoments/${i}/eventId`, detail: `is not an entry of incident ${incidentId}'s timeline` }]));
        if (errors.length) throw Problem.unprocessable(errors);
      }
      auditTouch({ ids: { incidentId, reviewId: review.review_id }, before: review }, digest);
      const sets: string[] = [];
      const params: unknown[] = [review.review_id];
      for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
        const value = body[field];
        if (value === undefined) continue;
        params.push(Array.isArray(value) ? JSON.stringify(value) : value);
        sets.push(`${column} = $${params.length}`);
      }
      if (body.keyMoments) {
        params.push(JSON.stringify(body.keyMoments));
        sets.push(`key_moments = $${params.length}`);
      }
      params.push(new Date());
      const [row] = await updateReturning<ReviewRow>(
        manager,
        `UPDATE reporting.reviews SET ${[...sets, `version = version + 1`, `updated_at = $${params.length}`].join(', ')} WHERE review_id = $1 RETURNING *`,
        params,
      );
      auditTouch({ after: row }, digest);
      return row;
    });
    reply.header('etag', `"${updated.version}"`);
    return reviewView(this.dataSource, updated, new Date());
  }
}
