import { ContactMethod, EscalationPolicyInput, ScheduleDefinition, type EscalationTarget, type ImportReport } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { rotationProblem } from '../schedules/engine/rotation';
import type { ImportPlan } from './import-plan';

const ref = (plan: ImportPlan, id: string) => `${plan.source}:${id}`;

/**
 * Writes an import plan in the caller's transaction. People are matched by what they were
 * imported as before, else by e-mail, else added (with their e-mail as a contact method). A
 * schedule or policy imported before gets a new revision or version rather than a copy, so an
 * import can be run again as the team moves over.
 */
export async function applyImport(m: EntityManager, plan: ImportPlan, actor: string, now: Date): Promise<Omit<ImportReport, 'dryRun'>> {
  const people = new Map<string, string>();
  const report: Omit<ImportReport, 'dryRun'> = { source: plan.source, people: [], schedules: [], policies: [], warnings: [...plan.warnings] };

  for (const p of plan.people) {
    const [found]: Array<{ id: string; name: string; external_ref: string | null }> = await m.query(
      `SELECT id, name, external_ref FROM tasking.people WHERE active AND (external_ref = $1 OR ($2::text IS NOT NULL AND lower(email) = lower($2)))
        ORDER BY (external_ref = $1) DESC NULLS LAST, created_at LIMIT 1`,
      [ref(plan, p.externalId), p.email],
    );
    if (found) {
      if (!found.external_ref) await m.query(`UPDATE tasking.people SET external_ref = $2 WHERE id = $1`, [found.id, ref(plan, p.externalId)]);
      people.set(p.externalId, found.id);
      report.people.push({ externalId: p.externalId, personId: found.id, name: found.name, created: false });
      continue;
    }
    const id = randomUUID();
    const email = p.email && ContactMethod.safeParse({ kind: 'email', address: p.email }).success ? p.email : null;
    if (!email) report.warnings.push(`person ${p.name} (${p.externalId}): no usable e-mail in the import${p.email ? ` (${p.email})` : ''}; added without a contact method`);
    await m.query(
      `INSERT INTO tasking.people (id, name, email, time_zone, roles, contact_methods, external_ref, created_at, updated_at) VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $7)`,
      [id, p.name, email, p.timeZone ?? 'UTC', JSON.stringify(email ? [{ kind: 'email', address: email }] : []), ref(plan, p.externalId), now],
    );
    people.set(p.externalId, id);
    report.people.push({ externalId: p.externalId, personId: id, name: p.name, created: true });
  }
  const person = (externalId: string) => people.get(externalId)!;

  const schedules = new Map<string, string>();
  for (const [i, s] of plan.schedules.entries()) {
    const parsed = ScheduleDefinition.safeParse({
      layers: s.layers.map((l) => ({ ...l, rotation: { ...l.rotation, participants: l.rotation.participants.map((turn) => (turn.length === 1 ? person(turn[0]) : turn.map(person))) } })),
    });
    if (!parsed.success) throw Problem.unprocessable(parsed.error.issues.map((x) => ({ pointer: `/schedules/${i}`, detail: `${s.name}: ${x.path.join('.')}: ${x.message}` })));
    const problems = parsed.data.layers.map((l, j) => ({ j, problem: rotationProblem(l.rotation) })).filter((x) => x.problem);
    if (problems.length) throw Problem.unprocessable(problems.map((x) => ({ pointer: `/schedules/${i}`, detail: `${s.name}, layer ${x.j + 1}: ${x.problem}` })));
    const [existing]: Array<{ id: string }> = await m.query(`SELECT id FROM tasking.schedules WHERE external_ref = $1 AND archived_at IS NULL FOR UPDATE`, [ref(plan, s.externalId)]);
    const id = existing?.id ?? randomUUID();
    if (!existing) {
      await m.query(`INSERT INTO tasking.schedules (id, name, description, time_zone, external_ref, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        id,
        s.name,
        s.description,
        s.timeZone,
        ref(plan, s.externalId),
        now,
        actor,
      ]);
    }
    const [{ revision }]: Array<{ revision: number }> = await m.query(
      `INSERT INTO tasking.schedule_revisions (schedule_id, revision, effective_from, definition, created_at, created_by, reason)
       SELECT $1, coalesce(max(revision), 0) + 1, $2, $3, $2, $4, $5 FROM tasking.schedule_revisions WHERE schedule_id = $1 RETURNING revision`,
      [id, now, JSON.stringify(parsed.data), actor, `imported from ${plan.source} (${s.externalId})`],
    );
    for (const o of s.overrides) {
      const start = Math.max(Date.parse(o.start), now.getTime());
      if (Date.parse(o.end) <= start) continue; // over already: not history to write now
      await m.query(
        `INSERT INTO tasking.schedule_overrides (id, schedule_id, person_id, starts_at, ends_at, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [randomUUID(), id, person(o.externalPersonId), new Date(start), new Date(o.end), `imported from ${plan.source}`, now, actor],
      );
    }
    schedules.set(s.externalId, id);
    report.schedules.push({ externalId: s.externalId, scheduleId: id, name: s.name, revision });
  }

  for (const [i, p] of plan.policies.entries()) {
    const steps = p.steps.map((step) => ({
      waitMinutes: step.waitMinutes,
      targets: step.targets.map((t): EscalationTarget => (t.type === 'person' ? { type: 'person', personId: person(t.externalId) } : t.type === 'schedule' ? { type: 'schedule', scheduleId: schedules.get(t.externalId)! } : t)),
    }));
    const parsed = EscalationPolicyInput.safeParse({ name: p.name, description: p.description, steps, repeat: p.repeat });
    if (!parsed.success) throw Problem.unprocessable(parsed.error.issues.map((x) => ({ pointer: `/escalation_policies/${i}`, detail: `${p.name}: ${x.path.join('.')}: ${x.message}` })));
    const body = parsed.data;
    const [existing]: Array<{ id: string; current_version: number }> = await m.query(
      `SELECT id, current_version FROM tasking.escalation_policies WHERE external_ref = $1 AND archived_at IS NULL FOR UPDATE`,
      [ref(plan, p.externalId)],
    );
    const id = existing?.id ?? randomUUID();
    const version = existing ? existing.current_version + 1 : 1;
    if (!existing) await m.query(`INSERT INTO tasking.escalation_policies (id, current_version, external_ref, created_at) VALUES ($1, 0, $2, $3)`, [id, ref(plan, p.externalId), now]);
    await m.query(
      `INSERT INTO tasking.escalation_policy_versions (policy_id, version, name, description, steps, repeat, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, version, body.name, body.description ?? null, JSON.stringify(body.steps), JSON.stringify(body.repeat), now, actor],
    );
    await m.query(`UPDATE tasking.escalation_policies SET current_version = $2 WHERE id = $1`, [id, version]);
    report.policies.push({ externalId: p.externalId, policyId: id, name: body.name, version });
  }
  return report;
}
