import { INCIDENT_REFERENCE_LABELS } from '@vigil/contracts';
import type { AlertSignal } from '../formats/signal';

/**
 * An alert labelled `vigil_incident` joins the incident it names, open or not yet closed: a
 * capability, not a hint. From an integration not allowed to use it the label is dropped before
 * the alert is stored or published, and kept aside in `ignoredLabels` so that the alert's record
 * says what was dropped.
 */
export function withoutIncidentReferences(signals: AlertSignal[]): AlertSignal[] {
  return signals.map((signal) => {
    const labels = signal.alert.labels;
    if (!labels || !INCIDENT_REFERENCE_LABELS.some((name) => Object.hasOwn(labels, name))) return signal;
    const kept: Record<string, string> = {};
    const ignored: Record<string, string> = {};
    for (const [name, value] of Object.entries(labels)) {
      if ((INCIDENT_REFERENCE_LABELS as readonly string[]).includes(name)) ignored[name] = value;
      else kept[name] = value;
    }
    const { labels: _dropped, ...alert } = signal.alert;
    return {
      ...signal,
      alert: Object.keys(kept).length > 0 ? { ...alert, labels: kept } : alert,
      ignoredLabels: { ...signal.ignoredLabels, ...ignored },
    };
  });
}
