import type { PlaybookDefinition } from '@vigil/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlaybook } from './playbook-rules';

/** The playbooks Vigil ships: YAML files kept with the code (apps/tasking/playbooks, copied into dist by the build). */
export const PLAYBOOK_DIR = join(__dirname, '..', '..', '..', 'playbooks');

/** Every shipped playbook, in file order; a broken file stops the service at start, naming the problem. */
export function loadShippedPlaybooks(dir = PLAYBOOK_DIR): PlaybookDefinition[] {
  const playbooks: PlaybookDefinition[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const parsed = parsePlaybook(readFileSync(join(dir, file), 'utf8'), 'yaml');
    if (!parsed.ok) throw new Error(`playbook ${file}: ${parsed.detail} ${parsed.errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`);
    if (playbooks.some((p) => p.key === parsed.playbook.key)) throw new Error(`playbook ${file}: the key ${parsed.playbook.key} is taken by another file`);
    playbooks.push(parsed.playbook);
  }
  if (playbooks.filter((p) => p.default).length !== 1) throw new Error(`exactly one shipped playbook must be the default`);
  return playbooks;
}
