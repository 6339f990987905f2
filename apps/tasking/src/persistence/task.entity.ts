import type { IncidentPhase, ResponderRole } from '@vigil/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TaskStatus = 'open' | 'in_progress' | 'done' | 'skipped' | 'cancelled';

@Entity({ name: 'tasks' })
export class Task {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') playbook!: string;
  @Column('text', { name: 'step_key' }) stepKey!: string;
  @Column('text') phase!: IncidentPhase;
  @Column('text') title!: string;
  @Column('text') role!: ResponderRole;
  @Column('text') status!: TaskStatus;
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
  @Column('int', { name: 'playbook_version', nullable: true }) playbookVersion!: number | null;
  @Column('text', { default: '' }) instructions!: string;
  @Column('boolean', { default: false }) mandatory!: boolean;
  @Column('text', { name: 'depends_on', array: true, default: () => `'{}'` }) dependsOn!: string[];
  @Column('text', { array: true, default: () => `'{}'` }) gates!: string[];
  @Column('jsonb', { nullable: true }) action!: { kind: string; connector: string } | null;
  @Column('text', { nullable: true }) severity!: string | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('text', { name: 'started_by', nullable: true }) startedBy!: string | null;
  @Column('timestamptz', { name: 'skipped_at', nullable: true }) skippedAt!: Date | null;
  @Column('text', { name: 'skipped_by', nullable: true }) skippedBy!: string | null;
  @Column('text', { name: 'skip_reason', nullable: true }) skipReason!: string | null;
  @Column('timestamptz', { name: 'sla_breached_at', nullable: true }) slaBreachedAt!: Date | null;
}

/** Step key → status, for the tasks of one incident (what blocking looks at). */
export function stepStatuses(tasks: readonly Pick<Task, 'stepKey' | 'status'>[]): Map<string, string> {
  return new Map(tasks.map((t) => [t.stepKey, t.status]));
}

/** The API's view of a task; `blockedBy` (from the incident's other tasks and phase) when known. */
export function toTaskView(t: Task, blockedBy?: string[]) {
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
    ...(t.stepKey && t.playbookVersion ? { stepKey: t.stepKey, playbookVersion: t.playbookVersion } : {}),
    mandatory: t.mandatory ?? false,
    dependsOn: t.dependsOn ?? [],
    gates: t.gates ?? [],
    ...(t.action ? { action: t.action } : {}),
    instructions: t.instructions ?? '',
    ...(blockedBy ? { blocked: t.status === 'open' && blockedBy.length > 0, blockedBy: t.status === 'open' ? blockedBy : [] } : {}),
    startedAt: t.startedAt ? t.startedAt.toISOString() : null,
    startedBy: t.startedBy ?? null,
    skipReason: t.skipReason ?? null,
    slaBreachedAt: t.slaBreachedAt ? t.slaBreachedAt.toISOString() : null,
  };
}
