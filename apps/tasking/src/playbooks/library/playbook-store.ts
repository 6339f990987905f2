import type { PlaybookDefinition, PlaybookView } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

interface VersionRow {
  key: string;
  version: number;
  definition: PlaybookDefinition;
  published_at: Date;
  published_by: string;
  retired: boolean;
}

export type StoredPlaybook = PlaybookDefinition & { version: number };

export const toPlaybookView = (r: VersionRow): PlaybookView => ({
  ...r.definition,
  version: r.version,
  publishedAt: r.published_at.toISOString(),
  publishedBy: r.published_by,
  retired: r.retired,
});

const SELECT = `SELECT v.key, v.version, v.definition, v.published_at, v.published_by, p.retired
                  FROM tasking.playbook_versions v JOIN tasking.playbooks p USING (key)`;

/** The newest version of every playbook (retired ones too when asked), by key. */
export async function latestPlaybooks(manager: Pick<EntityManager, 'query'>, includeRetired = false): Promise<VersionRow[]> {
  return manager.query(
    `SELECT DISTINCT ON (v.key) v.key, v.version, v.definition, v.published_at, v.published_by, p.retired
       FROM tasking.playbook_versions v JOIN tasking.playbooks p USING (key)
      ${includeRetired ? '' : 'WHERE NOT p.retired'}
      ORDER BY v.key, v.version DESC`,
  );
}

export async function playbookVersion(manager: Pick<EntityManager, 'query'>, key: string, version?: number): Promise<VersionRow | null> {
  const rows: VersionRow[] = version
    ? await manager.query(`${SELECT} WHERE v.key = $1 AND v.version = $2`, [key, version])
    : await manager.query(`${SELECT} WHERE v.key = $1 ORDER BY v.version DESC LIMIT 1`, [key]);
  return rows[0] ?? null;
}

export async function playbookVersions(manager: Pick<EntityManager, 'query'>, key: string): Promise<VersionRow[]> {
  return manager.query(`${SELECT} WHERE v.key = $1 ORDER BY v.version`, [key]);
}

export const stored = (r: VersionRow): StoredPlaybook => ({ ...r.definition, version: r.version });

/**
 * Publishes a playbook: version 1 of a new key, or the next version of an existing one (a published
 * version is never changed). `mustExist` distinguishes create (409 if taken) from update (404 if not).
 * Only one playbook may be the default: making one the default takes it from the others' next use.
 */
export async function publishPlaybook(
  manager: EntityManager,
  definition: PlaybookDefinition,
  actor: string,
  mode: 'create' | 'update' | 'upsert',
  now = new Date(),
): Promise<VersionRow> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('tasking.playbooks'))`);
  const [existing]: Array<{ retired: boolean }> = await manager.query(`SELECT retired FROM tasking.playbooks WHERE key = $1 FOR UPDATE`, [definition.key]);
  if (existing && mode === 'create') throw new Problem(409, 'Playbook exists', `A playbook with the key ${definition.key} exists: publish a new version with PUT /v1/playbooks/${definition.key}.`, { key: definition.key });
  if (!existing && mode === 'update') throw Problem.notFound(`Playbook ${definition.key}`);
  if (definition.default) {
    const others = (await latestPlaybooks(manager)).filter((p) => p.key !== definition.key && p.definition.default);
    if (others.length) {
      throw Problem.validation(
        [{ pointer: '/default', detail: `${others.map((o) => o.key).join(', ')} is the default playbook already; publish it with default: false first` }],
        'Only one playbook can be the default.',
      );
    }
  }
  if (!existing) await manager.query(`INSERT INTO tasking.playbooks (key, created_at) VALUES ($1, $2)`, [definition.key, now]);
  else if (existing.retired) await manager.query(`UPDATE tasking.playbooks SET retired = false WHERE key = $1`, [definition.key]);
  const [{ next }]: Array<{ next: number }> = await manager.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM tasking.playbook_versions WHERE key = $1`, [definition.key]);
  await manager.query(`INSERT INTO tasking.playbook_versions (key, version, definition, published_at, published_by) VALUES ($1, $2, $3, $4, $5)`, [
    definition.key,
    next,
    JSON.stringify(definition),
    now,
    actor,
  ]);
  return { key: definition.key, version: next, definition, published_at: now, published_by: actor, retired: false };
}

/**
 * Shipped playbooks become version 1 of their key when the key is new; a key that exists is the
 * team's to change (a later shipped edit does not overwrite theirs). Replicas starting together
 * serialise on the lock.
 */
export async function seedShippedPlaybooks(manager: EntityManager, playbooks: readonly PlaybookDefinition[]): Promise<string[]> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('tasking.playbooks'))`);
  const seeded: string[] = [];
  const anyDefault = (await latestPlaybooks(manager, true)).some((p) => p.definition.default);
  for (const p of playbooks) {
    const [exists] = await manager.query(`SELECT 1 FROM tasking.playbooks WHERE key = $1`, [p.key]);
    if (exists) continue;
    // A team that made its own default keeps it: the shipped one comes in as an ordinary playbook.
    const definition = p.default && anyDefault ? { ...p, default: false } : p;
    await manager.query(`INSERT INTO tasking.playbooks (key) VALUES ($1)`, [p.key]);
    await manager.query(`INSERT INTO tasking.playbook_versions (key, version, definition, published_at, published_by) VALUES ($1, 1, $2, now(), 'vigil')`, [p.key, JSON.stringify(definition)]);
    seeded.push(p.key);
  }
  return seeded;
}
