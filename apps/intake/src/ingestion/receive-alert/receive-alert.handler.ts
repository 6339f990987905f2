import { Injectable } from '@nestjs/common';
import { AlertReceivedV1, createEvent, type AlertAccepted, type CanonicalAlert } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AlertRecord } from '../../persistence/alert.entity';

/**
 * A dedup key the source did not give is derived from what makes an alert "the same": its source,
 * its title and the assets it names. Repeats of one detection then correlate without a key.
 */
export function deriveDedupKey(alert: Pick<CanonicalAlert, 'source' | 'title' | 'assets'>): string {
  // Canonical JSON, so that no choice of names can make two different alerts hash alike.
  const assets = (alert.assets ?? []).map((a) => JSON.stringify([a.id ?? null, a.hostname ?? null, a.ip ?? null, a.name ?? null])).sort();
  const canonical = JSON.stringify([alert.source, alert.title, assets]);
  return 'vigil:' + createHash('sha256').update(canonical).digest('hex').slice(0, 40);
}

@Injectable()
export class ReceiveAlertHandler {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores the alert and its event in one transaction; 202 is only answered after the commit. */
  async execute(alert: CanonicalAlert, receivedAt = new Date()): Promise<AlertAccepted> {
    const alertId = randomUUID();
    const dedupKey = alert.dedupKey ?? deriveDedupKey(alert);
    const occurredAt = alert.occurredAt ? new Date(alert.occurredAt) : receivedAt;
    const exercise = alert.exercise ?? false;
    const event = createEvent(AlertReceivedV1, {
      source: '/vigil/intake',
      subject: dedupKey,
      time: receivedAt,
      data: {
        alertId,
        dedupKey,
        title: alert.title,
        source: alert.source,
        severity: alert.severity,
        category: alert.category,
        occurredAt: occurredAt.toISOString(),
        receivedAt: receivedAt.toISOString(),
        description: alert.description,
        labels: alert.labels ?? {},
        assets: alert.assets ?? [],
        observables: alert.observables ?? [],
        exercise,
      },
    });
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(AlertRecord, {
        id: alertId,
        dedupKey,
        source: alert.source,
        title: alert.title,
        severity: alert.severity,
        occurredAt,
        occurredAtFromSource: !!alert.occurredAt,
        receivedAt,
        exercise,
        payload: alert,
      });
      await enqueueEvent(manager, 'intake', event, { topic: AlertReceivedV1.topic, key: dedupKey });
    });
    return { alertId, dedupKey, status: 'accepted' };
  }
}
