import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';
import { redactQuery } from './redaction';

/** Query parameters whose values the HTTP instrumentation masks (it compares names exactly: the usual spellings). */
const MASKED_QUERY_PARAMS = ['api_key', 'apikey', 'API_KEY', 'token', 'access_token', 'routing_key', 'sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature'];

/** Paths that are polled by machines and would only add noise to traces. */
const UNTRACED_PATHS = /^\/(health\/|metrics|docs|openapi\.json|favicon)/;

let sdk: NodeSDK | undefined;
let prometheus: PrometheusExporter | undefined;

/**
 * Starts OpenTelemetry. Must run before anything else is required, so that http and pg are
 * patched: each service's `instrumentation.ts` calls it and `main.ts` imports that file first.
 *
 * Traces go over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-specific variable) is
 * set; metrics are always served for Prometheus (see `prometheusExporter()`) and also pushed over
 * OTLP when an endpoint is set. The standard OTEL_* variables are honoured by the exporters.
 */
export function startTelemetry(serviceName: string): void {
  if (sdk) return;
  const otlpEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!otlpEndpoint) {
    // Nothing to push to: keep the SDK from defaulting to an OTLP exporter on localhost.
    process.env.OTEL_TRACES_EXPORTER ??= 'none';
    process.env.OTEL_METRICS_EXPORTER ??= 'none';
  }
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  prometheus = new PrometheusExporter({ preventServerStart: true });
  const metricReaders: IMetricReader[] = [prometheus];
  if (otlpEndpoint) {
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000),
      }),
    );
  }
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? `vigil-${serviceName}`,
      'service.namespace': 'vigil',
    }),
    // Without an endpoint spans are still created, so trace context still flows through
    // HTTP, Kafka headers and logs; they are just not exported anywhere.
    spanProcessors: otlpEndpoint ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })] : [],
    metricReaders,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? ''),
        // A sender that cannot set headers sends its API key as ?api_key=: never into a span.
        redactedQueryParamsServer: MASKED_QUERY_PARAMS,
        redactedQueryParams: MASKED_QUERY_PARAMS,
        // …in any spelling of the name, too (the option above compares names exactly).
        requestHook: (span, request) => {
          const url = (request as IncomingMessage).url;
          const q = typeof url === 'string' ? url.indexOf('?') : -1;
          if (q >= 0) span.setAttribute('url.query', redactQuery(url!.slice(q + 1)));
        },
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
}

/** The Prometheus exporter whose handler serves `/metrics` on the service's own HTTP port. */
export function prometheusExporter(): PrometheusExporter {
  if (!prometheus) throw new Error('telemetry not started: call startTelemetry() first');
  return prometheus;
}

export async function shutdownTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  sdk = undefined;
}
