import { z } from 'zod';
import { Topics } from '../topics';
import { Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

const NotificationOutcome = z.object({
  notificationId: z.uuid(),
  incidentId: z.uuid(),
  channel: z.string(),
  audience: z.string(),
  attempts: z.int().nonnegative(),
  at: Timestamp,
  lastError: z.string().nullable(),
});

export const NotificationDeliveredV1 = defineEvent('vigil.notification.delivered.v1', Topics.comms, NotificationOutcome);
export const NotificationFailedV1 = defineEvent('vigil.notification.failed.v1', Topics.comms, NotificationOutcome);
