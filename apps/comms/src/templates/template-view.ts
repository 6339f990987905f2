import type { AudienceKey, IncidentSnapshot, MessagePurpose } from '@vigil/contracts';
import { stripControls } from '../channels/escaping';

/**
 * What templates may read: an allow-listed view of the incident, never the incident itself. Each
 * path names a value (or a list, whose items' fields are named after `[]`). Templates that name
 * anything else fail to save and fail to render.
 */
export const VIEW_FIELDS = {
  'incident.id': ['string', 'the incident id'],
  'incident.title': ['string', 'its title (from the alert: untrusted, escaped for each channel)'],
  'incident.severity': ['string', 'SEV1 … SEV4'],
  'incident.category': ['string', 'NIST SP 800-61 category'],
  'incident.phase': ['string', 'lifecycle phase'],
  'incident.exercise': ['boolean', 'a tabletop or live exercise'],
  'incident.alertCount': ['number', 'alerts in the incident'],
  'incident.functionalImpact': ['string', 'none, low, medium, high (null before classification)'],
  'incident.informationImpact': ['string', 'none, privacy, proprietary, integrity'],
  'incident.recoverability': ['string', 'regular, supplemented, extended, not_recoverable'],
  'incident.owner': ['string', 'its owner, or null'],
  'incident.occurredAt': ['timestamp', 'when the activity began'],
  'incident.detectedAt': ['timestamp', 'when it was detected'],
  'incident.declaredAt': ['timestamp', 'when the incident was declared'],
  'incident.acknowledgedAt': ['timestamp', 'or null'],
  'incident.containedAt': ['timestamp', 'or null'],
  'incident.eradicatedAt': ['timestamp', 'or null'],
  'incident.recoveredAt': ['timestamp', 'or null'],
  'incident.closedAt': ['timestamp', 'or null'],
  'organisation.name': ['string', 'COMMS_ORGANISATION_NAME'],
  'organisation.contact': ['string', 'COMMS_ORGANISATION_CONTACT'],
  'organisation.dpoContact': ['string', 'COMMS_DPO_CONTACT (data protection officer), or null'],
  'message.audience': ['string', 'who the message is for'],
  'message.purpose': ['string', 'initial_notice, status_update, resolution, regulator_notice'],
  'message.note': ['string', 'the drafter\'s free text, or null'],
  'obligation.regulation': ['string', 'e.g. GDPR (null unless the message answers a regulatory clock)'],
  'obligation.title': ['string', 'what the rule requires'],
  'obligation.stage': ['string', 'e.g. notification, early_warning, final_report'],
  'obligation.citation': ['string', 'its legal source'],
  'obligation.recipient': ['string', 'the authority or people to notify'],
  'obligation.startedAt': ['timestamp', 'the triggering decision took effect'],
  'obligation.deadline': ['timestamp', 'or null'],
  'obligation.checklist': ['list', 'the content the law asks for, filled from the incident where it can be'],
  'obligation.checklist[].key': ['string', 'item key'],
  'obligation.checklist[].label': ['string', 'what the item asks for'],
  'obligation.checklist[].value': ['string', 'filled from the incident, or null (to be completed)'],
  'obligation.checklist[].required': ['boolean', 'the law requires it'],
} as const satisfies Record<string, readonly ['string' | 'number' | 'boolean' | 'timestamp' | 'list', string]>;

export type ViewPath = keyof typeof VIEW_FIELDS;
export const VIEW_ROOTS = new Set(Object.keys(VIEW_FIELDS).map((p) => p.split('.')[0]));

export interface ChecklistEntry {
  key: string;
  label: string;
  value: string | null;
  required: boolean;
}

export interface ObligationFacts {
  regulation: string;
  title: string;
  stage: string;
  citation: string;
  recipient: string;
  startedAt: string;
  deadline: string | null;
  checklist: ChecklistEntry[];
}

export interface Organisation {
  name: string;
  contact: string;
  dpoContact: string | null;
}

export interface TemplateView {
  incident: {
    id: string;
    title: string;
    severity: string;
    category: string;
    phase: string;
    exercise: boolean;
    alertCount: number;
    functionalImpact: string | null;
    informationImpact: string | null;
    recoverability: string | null;
    owner: string | null;
    occurredAt: string;
    detectedAt: string;
    declaredAt: string;
    acknowledgedAt: string | null;
    containedAt: string | null;
    eradicatedAt: string | null;
    recoveredAt: string | null;
    closedAt: string | null;
  };
  organisation: Organisation;
  message: { audience: string; purpose: string; note: string | null };
  obligation: {
    regulation: string | null;
    title: string | null;
    stage: string | null;
    citation: string | null;
    recipient: string | null;
    startedAt: string | null;
    deadline: string | null;
    checklist: ChecklistEntry[];
  };
}

/**
 * Builds the view from the newest snapshot; every allow-listed path is present (null when
 * unknown). Free text loses control and direction-changing characters here, so that no channel,
 * not even a webhook's structured data, carries them.
 */
export function buildTemplateView(
  incident: IncidentSnapshot,
  context: { organisation: Organisation; audience: AudienceKey; purpose: MessagePurpose; note?: string | null; obligation?: ObligationFacts | null },
): TemplateView {
  const t = incident.timestamps;
  const o = context.obligation;
  return {
    incident: {
      id: incident.incidentId,
      title: stripControls(incident.title),
      severity: incident.severity,
      category: incident.category,
      phase: incident.phase,
      exercise: incident.exercise,
      alertCount: incident.alertCount,
      functionalImpact: incident.classification?.functionalImpact ?? null,
      informationImpact: incident.classification?.informationImpact ?? null,
      recoverability: incident.classification?.recoverability ?? null,
      owner: incident.owner ?? null,
      occurredAt: t.occurredAt,
      detectedAt: t.detectedAt,
      declaredAt: t.declaredAt,
      acknowledgedAt: t.acknowledgedAt,
      containedAt: t.containedAt,
      eradicatedAt: t.eradicatedAt,
      recoveredAt: t.recoveredAt,
      closedAt: t.closedAt,
    },
    organisation: { name: context.organisation.name, contact: context.organisation.contact, dpoContact: context.organisation.dpoContact },
    message: { audience: context.audience, purpose: context.purpose, note: context.note ? stripControls(context.note) : null },
    obligation: {
      regulation: o?.regulation ?? null,
      title: o?.title ?? null,
      stage: o?.stage ?? null,
      citation: o?.citation ?? null,
      recipient: o?.recipient ?? null,
      startedAt: o?.startedAt ?? null,
      deadline: o?.deadline ?? null,
      checklist: o?.checklist.map((c) => ({ key: c.key, label: c.label, value: c.value, required: c.required })) ?? [],
    },
  };
}
