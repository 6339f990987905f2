import { z } from 'zod';
import { storableTimestamp } from './storable';

/** Severity as detection tools speak it (canonical alert form). */
export const AlertSeverity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** Incident severity, SEV1 most severe. */
export const IncidentSeverity = z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4']);
export type IncidentSeverity = z.infer<typeof IncidentSeverity>;

/** NIST SP 800-61 inspired incident categories. */
export const IncidentCategory = z.enum([
  'malware',
  'ransomware',
  'phishing',
  'unauthorized_access',
  'data_breach',
  'denial_of_service',
  'insider',
  'web_application_attack',
  'lost_or_stolen_device',
  'policy_violation',
  'other',
]);
export type IncidentCategory = z.infer<typeof IncidentCategory>;

/** Lifecycle phases; `false_positive` and `merged` are terminal side exits. */
export const IncidentPhase = z.enum([
  'detected',
  'triaged',
  'contained',
  'eradicated',
  'recovered',
  'post_incident',
  'closed',
  'false_positive',
  'merged',
]);
export type IncidentPhase = z.infer<typeof IncidentPhase>;

/** Incident response team roles (NIST SP 800-61 team formation). */
export const ResponderRole = z.enum([
  'ir_manager',
  'security_analyst',
  'system_administrator',
  'communications',
  'legal',
]);
export type ResponderRole = z.infer<typeof ResponderRole>;

/** NIST SP 800-61 functional impact: how much the incident hurts the business's ability to work. */
export const FunctionalImpact = z.enum(['none', 'low', 'medium', 'high']);
export type FunctionalImpact = z.infer<typeof FunctionalImpact>;

/** NIST SP 800-61 information impact: what happened to the information involved. */
export const InformationImpact = z.enum(['none', 'privacy', 'proprietary', 'integrity']);
export type InformationImpact = z.infer<typeof InformationImpact>;

/** NIST SP 800-61 recoverability: what it takes to recover. */
export const Recoverability = z.enum(['regular', 'supplemented', 'extended', 'not_recoverable']);
export type Recoverability = z.infer<typeof Recoverability>;

/** How much an asset matters to the business (asset register, risk assessment). */
export const AssetCriticality = z.enum(['low', 'medium', 'high', 'critical']);
export type AssetCriticality = z.infer<typeof AssetCriticality>;

/** The most sensitive data an asset holds. */
export const DataClassification = z.enum(['public', 'internal', 'confidential', 'restricted']);
export type DataClassification = z.infer<typeof DataClassification>;

export const ObservableType = z.enum(['ip', 'domain', 'url', 'hash', 'email', 'user', 'hostname', 'file', 'other']);
export type ObservableType = z.infer<typeof ObservableType>;

/**
 * RFC 3339 timestamp with offset, as every Vigil contract writes time; within what PostgreSQL
 * stores (years 0001–9999 in UTC, offsets within ±15:59), so that a bad date is a 400 at
 * validation and never a failed transaction.
 *
 * The same rule as a pattern, so that the API documents say what is accepted (a JSON Schema cannot
 * compute "in UTC"): the pattern is a little stricter than PostgreSQL only on the two edge days,
 * where 0001-01-01 takes no offset east of UTC and 9999-12-31 none west of it, so that whatever
 * matches it is storable (a property spec checks both).
 */
export const STORABLE_TIMESTAMP_PATTERN =
  /^(?!0001-01-01T.*\+(?!00:00$))(?!9999-12-31T.*-(?!00:00$))(?!0000)[0-9]{4}-.*(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$/;
export const Timestamp = z.iso
  .datetime({ offset: true })
  // (only once the format holds: one issue per bad value)
  .refine((v) => STORABLE_TIMESTAMP_PATTERN.test(v) && storableTimestamp(v), {
    message: 'must be between 0001-01-01 and 9999-12-31 in UTC, with an offset of at most ±15:59',
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ allOf: [{ pattern: STORABLE_TIMESTAMP_PATTERN.source }] });

/**
 * What a person or a machine client may do in Vigil, from the seeds' incident response team plus
 * the roles that read (management, auditor) and configure (admin). Tokens carry IdP groups or
 * roles; each service maps them onto these (AUTH_ROLE_MAPPING).
 */
export const VigilRole = z.enum([
  'ir_manager',
  'security_analyst',
  'system_administrator',
  'communications',
  'legal',
  'management',
  'auditor',
  'admin',
]);
export type VigilRole = z.infer<typeof VigilRole>;
