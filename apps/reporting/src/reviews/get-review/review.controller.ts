import { Controller, Get, Param, ParseUUIDPipe, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReviewView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { reviewOf } from '../review-records';
import { reviewView } from '../review-view';

@ApiTags('reviews')
@Controller('v1/incidents')
export class ReviewController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/review')
  @Permit('incidents.read')
  @ApiOperation({
    summary: 'The post-incident review of an incident: its text, the timeline with key moments marked, and its action items',
    description: 'A review opens as a draft when the incident enters post_incident. The ETag is its version, for If-Match on changes.',
    operationId: 'getIncidentReview',
  })
  @ApiJsonResponse(200, ReviewView, 'The review')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<ReviewView> {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller);
    const review = await reviewOf(this.dataSource, incidentId);
    reply.header('etag', `"${review.version}"`);
    return reviewView(this.dataSource, review, new Date());
  }
}
