import { z } from 'zod';
import { AlertAcknowledgedV1, AlertReceivedV1, AlertRepeatedV1, AlertResolvedV1 } from './alerts';
import {
  DecisionRecordedV1,
  MessageApprovedV1,
  MessageAwaitingApprovalV1,
  MessageRejectedV1,
  MessageSentV1,
  NotificationDeliveredV1,
  NotificationFailedV1,
  ObligationApproachingV1,
  ObligationChangedV1,
  ObligationMissedV1,
  ObligationOpenedV1,
  ObligationSubmittedV1,
  StatusUpdateDueV1,
  StatusUpdateMissedV1,
} from './comms';
import type { EventDefinition } from './define-event';
import {
  EscalationExhaustedV1,
  EscalationStartedV1,
  EscalationStepExecutedV1,
  EscalationStoppedV1,
  PageDeliveredV1,
  PageFailedV1,
  PageRequestedV1,
} from './escalations';
import {
  IncidentAcknowledgedV1,
  IncidentAlertAttachedV1,
  IncidentAlertDetachedV1,
  IncidentAssignedV1,
  IncidentClassifiedV1,
  IncidentClockCorrectedV1,
  IncidentLinkedV1,
  IncidentMergedV1,
  IncidentNoteAddedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  IncidentRestrictionChangedV1,
} from './incidents';
import { ReviewActionItemAddedV1, ReviewOpenedV1, ReviewStateChangedV1 } from './reviews';
import { TaskCancelledV1, TaskCompletedV1, TaskCreatedV1 } from './tasks';

/** Every event Vigil publishes, by CloudEvents type. */
export const EventCatalog = {
  [AlertReceivedV1.type]: AlertReceivedV1,
  [AlertRepeatedV1.type]: AlertRepeatedV1,
  [AlertAcknowledgedV1.type]: AlertAcknowledgedV1,
  [AlertResolvedV1.type]: AlertResolvedV1,
  [IncidentOpenedV1.type]: IncidentOpenedV1,
  [IncidentAlertAttachedV1.type]: IncidentAlertAttachedV1,
  [IncidentAcknowledgedV1.type]: IncidentAcknowledgedV1,
  [IncidentPhaseChangedV1.type]: IncidentPhaseChangedV1,
  [IncidentAlertDetachedV1.type]: IncidentAlertDetachedV1,
  [IncidentMergedV1.type]: IncidentMergedV1,
  [IncidentClassifiedV1.type]: IncidentClassifiedV1,
  [IncidentAssignedV1.type]: IncidentAssignedV1,
  [IncidentNoteAddedV1.type]: IncidentNoteAddedV1,
  [IncidentLinkedV1.type]: IncidentLinkedV1,
  [IncidentClockCorrectedV1.type]: IncidentClockCorrectedV1,
  [IncidentRestrictionChangedV1.type]: IncidentRestrictionChangedV1,
  [TaskCreatedV1.type]: TaskCreatedV1,
  [TaskCancelledV1.type]: TaskCancelledV1,
  [TaskCompletedV1.type]: TaskCompletedV1,
  [NotificationDeliveredV1.type]: NotificationDeliveredV1,
  [NotificationFailedV1.type]: NotificationFailedV1,
  [EscalationStartedV1.type]: EscalationStartedV1,
  [EscalationStepExecutedV1.type]: EscalationStepExecutedV1,
  [PageRequestedV1.type]: PageRequestedV1,
  [EscalationStoppedV1.type]: EscalationStoppedV1,
  [EscalationExhaustedV1.type]: EscalationExhaustedV1,
  [PageDeliveredV1.type]: PageDeliveredV1,
  [PageFailedV1.type]: PageFailedV1,
  [MessageAwaitingApprovalV1.type]: MessageAwaitingApprovalV1,
  [MessageApprovedV1.type]: MessageApprovedV1,
  [MessageRejectedV1.type]: MessageRejectedV1,
  [MessageSentV1.type]: MessageSentV1,
  [DecisionRecordedV1.type]: DecisionRecordedV1,
  [ObligationOpenedV1.type]: ObligationOpenedV1,
  [ObligationApproachingV1.type]: ObligationApproachingV1,
  [ObligationMissedV1.type]: ObligationMissedV1,
  [ObligationSubmittedV1.type]: ObligationSubmittedV1,
  [ObligationChangedV1.type]: ObligationChangedV1,
  [StatusUpdateDueV1.type]: StatusUpdateDueV1,
  [StatusUpdateMissedV1.type]: StatusUpdateMissedV1,
  [ReviewOpenedV1.type]: ReviewOpenedV1,
  [ReviewStateChangedV1.type]: ReviewStateChangedV1,
  [ReviewActionItemAddedV1.type]: ReviewActionItemAddedV1,
} as const satisfies Record<string, EventDefinition>;

export type EventType = keyof typeof EventCatalog;

export function findEventDefinition(type: string): EventDefinition | undefined {
  return Object.hasOwn(EventCatalog, type) ? (EventCatalog as Record<string, EventDefinition>)[type] : undefined;
}

/** JSON Schema (draft 2020-12) of an event's data, generated from the same schema that validates it. */
export function eventJsonSchema(definition: EventDefinition): Record<string, unknown> {
  return z.toJSONSchema(definition.schema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
