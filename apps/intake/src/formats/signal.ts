import type { CanonicalAlert } from '@vigil/contracts';
import type { FieldError } from '@vigil/contracts';

/** What a detection tool asks of an alert, in PagerDuty's terms. */
export type AlertAction = 'trigger' | 'acknowledge' | 'resolve';

export type SourceFormat = 'canonical' | 'alertmanager' | 'pagerduty' | 'ocsf' | 'elastic' | 'splunk' | 'report';

/**
 * One alert signal mapped from a source format into Vigil's canonical alert. Every mapper yields
 * these; intake then applies them (deduplication, storage, outbox) the same way for every format.
 */
export interface AlertSignal {
  action: AlertAction;
  /** The canonical alert; `dedupKey` is always set by the mapper (derived when the source has none). */
  alert: CanonicalAlert & { dedupKey: string };
  format: SourceFormat;
  /** The source's own item, kept whole (extra fields included) for the raw payload record. */
  raw: unknown;
  /** Labels intake dropped (an incident reference from an integration not allowed to make one), recorded on the alert. */
  ignoredLabels?: Record<string, string>;
}

/** The outcome of mapping one request body: the signals, or what is wrong with it. */
export type MappingResult =
  | { ok: true; signals: AlertSignal[]; meta?: Record<string, unknown> }
  | { ok: false; errors: FieldError[] };
