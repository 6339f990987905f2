import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotificationList } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, type Principal } from '@vigil/platform';
import { DataSource, In } from 'typeorm';
import { Delivery, Notification } from '../../persistence/notification.entity';

@ApiTags('notifications')
@Controller('v1/incidents')
export class IncidentNotificationsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/notifications')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Notifications sent about an incident, with every delivery attempt', operationId: 'listIncidentNotifications' })
  @ApiJsonResponse(200, NotificationList, 'The notifications')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'comms', incidentId, caller);
    const notifications = await this.dataSource.getRepository(Notification).find({ where: { incidentId }, order: { createdAt: 'ASC' } });
    const deliveries = notifications.length
      ? await this.dataSource.getRepository(Delivery).find({
          where: { notificationId: In(notifications.map((n) => n.id)) },
          order: { attempt: 'ASC' },
        })
      : [];
    return {
      items: notifications.map((n) => ({
        notificationId: n.id,
        incidentId: n.incidentId,
        channel: n.channel,
        audience: n.audience,
        status: n.status,
        attempts: n.attempts,
        createdAt: n.createdAt.toISOString(),
        deliveredAt: n.deliveredAt ? n.deliveredAt.toISOString() : null,
        deliveries: deliveries
          .filter((d) => d.notificationId === n.id)
          .map((d) => ({
            attempt: d.attempt,
            at: d.at.toISOString(),
            outcome: d.outcome,
            statusCode: d.statusCode,
            error: d.error,
            durationMs: d.durationMs,
          })),
      })),
    };
  }
}
