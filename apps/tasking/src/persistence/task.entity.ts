import type { IncidentPhase, ResponderRole } from '@vigil/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'tasks' })
export class Task {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') playbook!: string;
  @Column('text', { name: 'step_key' }) stepKey!: string;
  @Column('text') phase!: IncidentPhase;
  @Column('text') title!: string;
  @Column('text') role!: ResponderRole;
  @Column('text') status!: 'open' | 'done' | 'cancelled';
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt!: Date | null;
  @Column('boolean') exercise!: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'cancelled_at', nullable: true }) cancelledAt!: Date | null;
  @Column('text', { name: 'cancel_reason', nullable: true }) cancelReason!: string | null;
  @Column('text', { nullable: true }) assignee!: string | null;
  @Column('uuid', { name: 'action_item_id', nullable: true }) actionItemId!: string | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column('text', { name: 'completed_by', nullable: true }) completedBy!: string | null;
  @Column('text', { name: 'completion_note', nullable: true }) completionNote!: string | null;
}

export function toTaskView(t: Task) {
  return {
    taskId: t.id,
    incidentId: t.incidentId,
    playbook: t.playbook,
    phase: t.phase,
    title: t.title,
    role: t.role,
    status: t.status,
    dueAt: t.dueAt ? t.dueAt.toISOString() : null,
    createdAt: t.createdAt.toISOString(),
    cancelledAt: t.cancelledAt ? t.cancelledAt.toISOString() : null,
    cancelReason: t.cancelReason ?? null,
    assignee: t.assignee ?? null,
    ...(t.actionItemId ? { actionItemId: t.actionItemId } : {}),
    completedAt: t.completedAt ? t.completedAt.toISOString() : null,
    completedBy: t.completedBy ?? null,
  };
}
