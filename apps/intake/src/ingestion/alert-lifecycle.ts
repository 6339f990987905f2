import type { AlertAction } from '../formats/signal';

/**
 * Alert deduplication as PagerDuty defines it, as a pure function so that it can be checked
 * against a model: per dedup key there is at most one open alert (triggered or acknowledged).
 *  - trigger: no open alert → a new alert; an open one → one more occurrence (no new alert)
 *  - acknowledge: a triggered alert becomes acknowledged; otherwise nothing happens
 *  - resolve: an open alert is resolved; the next trigger opens a new alert
 */
export type AlertStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface OpenAlert {
  id: string;
  status: Exclude<AlertStatus, 'resolved'>;
  occurrences: number;
}

export type Outcome = 'created' | 'deduplicated' | 'acknowledged' | 'resolved' | 'ignored';

export interface Step {
  action: AlertAction;
  outcome: Outcome;
  /** The alert the step applied to (null when ignored with nothing open). */
  alertId: string | null;
  occurrences: number;
}

/** Applies one action to the open alert of a key (if any); `newId` names an alert it creates. */
export function applyAction(open: OpenAlert | null, action: AlertAction, newId: () => string): { open: OpenAlert | null; step: Step } {
  switch (action) {
    case 'trigger':
      if (!open) {
        const created: OpenAlert = { id: newId(), status: 'triggered', occurrences: 1 };
        return { open: created, step: { action, outcome: 'created', alertId: created.id, occurrences: 1 } };
      }
      {
        const repeated = { ...open, occurrences: open.occurrences + 1 };
        return { open: repeated, step: { action, outcome: 'deduplicated', alertId: open.id, occurrences: repeated.occurrences } };
      }
    case 'acknowledge':
      if (open?.status === 'triggered') {
        return { open: { ...open, status: 'acknowledged' }, step: { action, outcome: 'acknowledged', alertId: open.id, occurrences: open.occurrences } };
      }
      return { open, step: { action, outcome: 'ignored', alertId: open?.id ?? null, occurrences: open?.occurrences ?? 0 } };
    case 'resolve':
      if (open) return { open: null, step: { action, outcome: 'resolved', alertId: open.id, occurrences: open.occurrences } };
      return { open: null, step: { action, outcome: 'ignored', alertId: null, occurrences: 0 } };
  }
}
