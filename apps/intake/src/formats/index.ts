export type { AlertAction, AlertSignal, MappingResult, SourceFormat } from './signal';
export { deriveDedupKey } from './dedup-key';
export { mapCanonical, mapCanonicalItem, canonicalSignal } from './canonical';
export { mapAlertmanager, AlertmanagerWebhook, AlertmanagerAlert } from './alertmanager';
export { mapPagerDuty, PagerDutyEvent, PagerDutyPayload, pagerDutyInvalidEvent, pagerDutyFieldName, type PagerDutyOptions } from './pagerduty';
export { mapOcsf, OcsfDetectionFinding, ocsfAction, DETECTION_FINDING } from './ocsf';
export { mapElastic } from './elastic';
export { mapSplunk, SplunkWebhook, searchOfSid } from './splunk';
export { mapReport, IncidentReport } from './report';
export {
  SEVERITY_MAPPING_TABLE,
  severityMappingMarkdown,
  DEFAULT_SEVERITY,
  alertmanagerSeverity,
  pagerDutySeverity,
  ocsfSeverity,
  elasticSeverity,
  splunkSeverity,
  type SeverityRow,
} from './severity';
export {
  extractObservables,
  observablesFromOcsf,
  observablesFromEcs,
  ocsfObservableType,
  normalizeObservable,
  ObservableCollector,
  OCSF_OBSERVABLE_TYPES,
  ECS_OBSERVABLE_FIELDS,
  type ExtractOptions,
} from './observables';
export { INTERNAL_ERROR_DETAIL } from './common';
