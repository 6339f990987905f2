import type { ActionItemType, ResponderRole } from '@vigil/contracts';

/** The playbook name action item tasks are filed under (each is its own step, keyed by the action item). */
export const REVIEW_PLAYBOOK = 'post-incident-review';

/**
 * The team role that usually does each kind of follow-up; the task is still for the action item's
 * owner (its assignee), the role says who can pick it up if the owner cannot.
 */
export const ROLE_OF_ACTION: Record<ActionItemType, ResponderRole> = {
  detection: 'security_analyst',
  control: 'system_administrator',
  playbook_change: 'ir_manager',
  training: 'ir_manager',
};

const LABEL: Record<ActionItemType, string> = {
  detection: 'Detection',
  control: 'Control',
  playbook_change: 'Playbook change',
  training: 'Training',
};

export function actionItemTaskTitle(type: ActionItemType, title: string): string {
  return `${LABEL[type]}: ${title}`;
}
