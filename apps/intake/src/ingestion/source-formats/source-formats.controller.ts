import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, ForeignErrorResponse, Public, type FieldError } from '@vigil/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IncidentReport, mapAlertmanager, mapElastic, mapOcsf, mapPagerDuty, mapReport, mapSplunk, pagerDutyInvalidEvent } from '../../formats';
import { ApiIdempotencyKey } from '../idempotency-key';
import { IngestService } from '../ingest.service';
import type { SignalOutcome } from '../signal-writer';

const Summary = z
  .object({
    status: z.literal('accepted'),
    alerts: z.array(z.object({ alertId: z.uuid().nullable(), dedupKey: z.string(), action: z.string(), outcome: z.string(), occurrences: z.int() })),
  })
  .loose()
  .meta({ id: 'IngestSummary' });

const summary = (outcomes: SignalOutcome[], extra: Record<string, unknown> = {}) => ({
  statusCode: 202,
  body: {
    status: 'accepted',
    alerts: outcomes.map((o) => ({ alertId: o.alertId, dedupKey: o.dedupKey, action: o.action, outcome: o.outcome, occurrences: o.occurrences })),
    ...extra,
  },
});

/** Another vendor's body: an object, or (`oneOrMany`) also an array of up to 1,000 of them. */
const sourceBody = (description: string, example: unknown, { oneOrMany = false } = {}) => {
  const one = { type: 'object', additionalProperties: true };
  const schema = oneOrMany ? { oneOf: [one, { type: 'array', items: one, maxItems: 1000 }] } : one;
  return ApiBody({ description, required: true, schema: { ...schema, examples: [example] } as never });
};

const PagerDutyAccepted = z
  .object({ status: z.literal('success'), message: z.string(), dedup_key: z.string() })
  .meta({ id: 'PagerDutyAccepted', examples: [{ status: 'success', message: 'Event processed', dedup_key: 'srv01/HTTP' }] });
const PagerDutyInvalid = z
  .object({ status: z.literal('invalid event'), message: z.string(), errors: z.array(z.string()) })
  .meta({ id: 'PagerDutyInvalid', examples: [{ status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing or blank"] }] });

/** PagerDuty answers a bad event with its own shape, not problem+json; senders expect it. */
function pagerDutyInvalid(errors: FieldError[]): never {
  throw new ForeignErrorResponse(400, pagerDutyInvalidEvent(errors));
}

@ApiTags('integrations')
@ApiSecurity('apiKey')
@Public('api-key')
@Controller('v1')
export class SourceFormatsController {
  constructor(private readonly ingest: IngestService) {}

  @Post('integrations/alertmanager')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'Prometheus Alertmanager webhook (version 4)',
    description:
      'Point a webhook receiver here (`http_config.authorization.credentials` = the API key). Every alert of the group is taken: ' +
      '`fingerprint` is the dedup key, `firing` triggers and `resolved` resolves, `startsAt` is occurredAt, labels and annotations are kept, ' +
      '`truncatedAlerts` is recorded. Re-sends after a timeout are deduplicated.',
    operationId: 'receiveAlertmanager',
  })
  @sourceBody('Alertmanager webhook payload, version 4', { version: '4', status: 'firing', receiver: 'vigil', groupKey: '{}:{alertname="HighErrorRate"}', truncatedAlerts: 0, alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate', instance: 'api-1:9100', severity: 'critical' }, annotations: { summary: 'Error rate above 5%' }, startsAt: '2026-11-24T06:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'c4d5e6f7a8b9c0d1' }] })
  @ApiJsonResponse(202, Summary, 'Accepted; `truncatedAlerts` echoes what Alertmanager left out')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  alertmanager(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({
      kind: 'alertmanager',
      request,
      reply,
      body,
      map: mapAlertmanager,
      respond: (outcomes, _s, meta) => summary(outcomes, { truncatedAlerts: (meta?.truncatedAlerts as number | undefined) ?? 0 }),
    });
  }

  @Post('integrations/pagerduty/enqueue')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'PagerDuty Events API v2 compatible endpoint',
    description:
      'Takes the body of `POST /v2/enqueue` unchanged: `routing_key` is the Vigil API key of a pagerduty integration, `event_action` ' +
      'trigger, acknowledge or resolve, `dedup_key` (generated and returned when a trigger has none). Answers in PagerDuty\'s shapes, so an ' +
      'existing PagerDuty sender switches by URL alone.',
    operationId: 'receivePagerDutyEvent',
  })
  @sourceBody('PagerDuty Events API v2 event', { routing_key: 'abcdefgh0123456789abcdefghijklmn', event_action: 'trigger', dedup_key: 'srv01/HTTP', payload: { summary: 'DISK at 99% on machine prod-datapipe03.example.com', source: 'prod-datapipe03.example.com', severity: 'critical', timestamp: '2026-11-24T06:00:00.000+0000', component: 'mysql', group: 'prod-datapipe', class: 'disk', custom_details: { free_space: '1%' } } })
  @ApiJsonResponse(202, PagerDutyAccepted, 'Event processed')
  @ApiJsonResponse(400, PagerDutyInvalid, 'Invalid event, in PagerDuty\'s shape')
  @ApiProblems(401, 403, 413, 415, 422, 429, 503)
  pagerduty(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({
      kind: 'pagerduty',
      request,
      reply,
      body,
      bodyKey: (body as { routing_key?: unknown } | null)?.routing_key,
      map: mapPagerDuty,
      invalid: pagerDutyInvalid,
      respond: ([outcome]) => ({ statusCode: 202, body: { status: 'success', message: 'Event processed', dedup_key: outcome.dedupKey } }),
    });
  }

  @Post('integrations/ocsf')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'OCSF Detection Finding (class_uid 2004), one or an array',
    description: '`finding_info.uid` is the dedup key; `activity_id` 1 Create and 2 Update trigger, 3 Close resolves; `severity_id`, `time`/`start_time`, `resources` and `observables` are mapped.',
    operationId: 'receiveOcsfFinding',
  })
  @sourceBody('OCSF Detection Finding(s)', { class_uid: 2004, activity_id: 1, severity_id: 4, time: 1764000000000, finding_info: { uid: 'f-123', title: 'Suspicious login' }, metadata: { product: { name: 'Example EDR' }, version: '1.3.0' } }, { oneOrMany: true })
  @ApiJsonResponse(202, Summary, 'Accepted')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  ocsf(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({ kind: 'ocsf', request, reply, body, map: mapOcsf, respond: (o) => summary(o) });
  }

  @Post('integrations/elastic')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'Elastic Security alerts (documents with kibana.alert.* fields), one or an array',
    description: 'Fields may be dotted (`"kibana.alert.rule.name"`) or nested. A `closed` workflow status resolves.',
    operationId: 'receiveElasticAlerts',
  })
  @sourceBody('Elastic Security alert document(s)', { '@timestamp': '2026-11-24T06:00:00Z', 'kibana.alert.rule.name': 'Unusual process', 'kibana.alert.rule.uuid': 'r-1', 'kibana.alert.severity': 'high', 'host.name': 'web-01' }, { oneOrMany: true })
  @ApiJsonResponse(202, Summary, 'Accepted')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  elastic(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({ kind: 'elastic', request, reply, body, map: mapElastic, respond: (o) => summary(o) });
  }

  @Post('integrations/splunk')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'Splunk webhook alert action',
    description: 'Splunk cannot set headers on a webhook: put the key in the URL as `?api_key=`.',
    operationId: 'receiveSplunkAlert',
  })
  @sourceBody('Splunk webhook payload', { result: { host: 'web-01', count: '8' }, sid: 'scheduler__admin__search__RMD5', search_name: 'Failed logins', app: 'search', owner: 'admin', results_link: 'https://splunk.example/app/search/search?sid=…' })
  @ApiJsonResponse(202, Summary, 'Accepted')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  splunk(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({ kind: 'splunk', request, reply, body, map: mapSplunk, respond: (o) => summary(o) });
  }

  @Post('reports')
  @HttpCode(202)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'A person reports an incident',
    description: 'What an employee saw, when, and on what: it enters triage like any alert (source `report:<e-mail>`).',
    operationId: 'reportIncident',
  })
  @ApiJsonBody(IncidentReport)
  @ApiJsonResponse(202, Summary, 'Accepted')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  report(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({ kind: 'report', request, reply, body, map: mapReport, respond: (o) => summary(o) });
  }
}


