import type { AlertSignal } from '../formats/signal';
import { withoutIncidentReferences } from './incident-reference';

const incidentId = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const signal = (labels?: Record<string, string>): AlertSignal => ({
  action: 'trigger',
  format: 'canonical',
  alert: { title: 'Reported mail', source: 'mailbox', severity: 'low', dedupKey: 'k', ...(labels ? { labels } : {}) },
  raw: null,
});

describe(withoutIncidentReferences.name, () => {
  it('drops vigil_incident and vigil.incident, keeps the other labels, and records what it dropped', () => {
    const [out] = withoutIncidentReferences([signal({ vigil_incident: incidentId, 'vigil.incident': incidentId, team: 'soc' })]);
    expect(out.alert.labels).toEqual({ team: 'soc' });
    expect(out.ignoredLabels).toEqual({ vigil_incident: incidentId, 'vigil.incident': incidentId });
  });

  it('leaves no empty labels behind, and leaves alerts without the labels untouched', () => {
    const [only, none, other] = withoutIncidentReferences([signal({ vigil_incident: incidentId }), signal(), signal({ incident: incidentId })]);
    expect(only.alert).not.toHaveProperty('labels');
    expect(none).toEqual(signal());
    expect(other).toEqual(signal({ incident: incidentId }));
  });
});
