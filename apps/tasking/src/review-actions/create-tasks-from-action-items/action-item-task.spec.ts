import { ActionItemType, ResponderRole } from '@vigil/contracts';
import { actionItemTaskTitle, ROLE_OF_ACTION } from './action-item-task';

describe('ROLE_OF_ACTION', () => {
  it.each(ActionItemType.options)('gives the %s action a team role', (type) => {
    expect(ResponderRole.safeParse(ROLE_OF_ACTION[type]).success).toBe(true);
  });
});

describe(actionItemTaskTitle.name, () => {
  it('says what kind of follow-up the task is', () => {
    expect(actionItemTaskTitle('playbook_change', 'Add a step to preserve memory images')).toBe('Playbook change: Add a step to preserve memory images');
    expect(actionItemTaskTitle('detection', 'Alert on lsass reads')).toBe('Detection: Alert on lsass reads');
  });
});
