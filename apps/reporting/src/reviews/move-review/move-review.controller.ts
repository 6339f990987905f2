import { Body, Controller, Headers, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CompleteReview, ReviewView, TransitionReview, type ReviewState } from '@vigil/contracts';
import { ApiIfMatch, ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { changeReviewState, reviewOf } from '../review-records';
import { assertReviewVersion } from '../review-version';
import { reviewView } from '../review-view';
import { allowedReviewTransitions, missingForCompletion } from './review-states';

@ApiTags('reviews')
@Controller('v1/incidents')
export class MoveReviewController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/review/transition')
  @HttpCode(200)
  @Permit('reviews.write')
  @ApiOperation({
    summary: 'Put a review in review, or send it back to draft',
    description: 'draft → in_review → completed (completion is its own operation, for the IR manager); in_review → draft. Anything else is a 409 naming the allowed moves.',
    operationId: 'transitionIncidentReview',
  })
  @ApiIfMatch('the review version you read, as its ETag ("3"); a stale one is a 412, a missing one a 428')
  @ApiJsonBody(TransitionReview)
  @ApiJsonResponse(200, ReviewView, 'The review in its new state')
  @ApiProblems(400, 404, 409, 412, 428, 503)
  async transition(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(TransitionReview)) body: TransitionReview,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReviewView> {
    return this.move(incidentId, ifMatch, body.to, body.reason ?? null, caller, reply);
  }

  @Post(':incidentId/review/completion')
  @HttpCode(200)
  @Permit('reviews.complete')
  @ApiOperation({
    summary: 'Complete a review that is in review: the incident may then be closed',
    description: 'The review must be in review and say what happened (summary), its impact and its root cause; a 409 names what is missing. A completed review is final.',
    operationId: 'completeIncidentReview',
  })
  @ApiIfMatch('the review version you read, as its ETag ("3"); a stale one is a 412, a missing one a 428')
  @ApiJsonBody(CompleteReview)
  @ApiJsonResponse(200, ReviewView, 'The completed review')
  @ApiProblems(400, 404, 409, 412, 428, 503)
  async complete(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(CompleteReview)) body: CompleteReview,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReviewView> {
    return this.move(incidentId, ifMatch, 'completed', body.reason ?? null, caller, reply);
  }

  private async move(incidentId: string, ifMatch: string | undefined, to: ReviewState, reason: string | null, caller: Principal, reply: FastifyReply): Promise<ReviewView> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const updated = await this.dataSource.transaction(async (manager) => {
      const review = await reviewOf(manager, incidentId, true);
      assertReviewVersion(ifMatch, review.version, incidentId);
      const allowed = allowedReviewTransitions(review.state);
      if (!allowed.includes(to)) {
        throw new Problem(
          409,
          'Illegal review transition',
          `A review in state ${review.state} cannot move to ${to}; ` + (allowed.length ? `allowed: ${allowed.join(', ')}.` : 'a completed review is final.'),
          { currentState: review.state, requestedState: to, allowedTransitions: allowed },
        );
      }
      if (to === 'completed') {
        const missing = missingForCompletion(review);
        if (missing.length) {
          throw new Problem(409, 'Review incomplete', `The review cannot be completed before it says: ${missing.join(', ')}.`, { missing });
        }
      }
      auditTouch({ ids: { incidentId, reviewId: review.review_id }, before: review }, digest);
      const row = await changeReviewState(manager, review, to, caller.subject, reason, new Date());
      auditTouch({ after: row }, digest);
      return row;
    });
    reply.header('etag', `"${updated.version}"`);
    return reviewView(this.dataSource, updated, new Date());
  }
}
