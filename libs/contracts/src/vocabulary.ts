import { z } from 'zod';

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

/** RFC 3339 timestamp with offset, as every Vigil contract writes time. */
/**
 * An RFC 3339 date-time that PostgreSQL can store: years 0001 to 9999 (it has no year 0) and a UTC
 * offset within ±15:59 (its limit); anything else would fail deep inside instead of naming the field.
 */
const STORABLE_TIME = /^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-.*(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$/;
export const Timestamp = z.iso
  .datetime({ offset: true, abort: true })
  .refine((v) => STORABLE_TIME.test(v), { message: 'must be a date-time from year 0001 to 9999 with a UTC offset within ±15:59' })
  // The refinement, in the JSON Schema too (the API documents say what is accepted).
  .meta({ allOf: [{ pattern: STORABLE_TIME.source }] });

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
