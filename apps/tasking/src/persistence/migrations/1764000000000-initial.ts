import { messagingTablesV1 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of messagingTablesV1('tasking').up) await q.query(sql);
    await q.query(`CREATE TABLE tasking.tasks (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      playbook text NOT NULL,
      step_key text NOT NULL,
      phase text NOT NULL,
      title text NOT NULL,
      role text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
      due_at timestamptz,
      exercise boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      UNIQUE (incident_id, playbook, step_key)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tasking.tasks`);
    for (const sql of messagingTablesV1('tasking').down) await q.query(sql);
  }
}
