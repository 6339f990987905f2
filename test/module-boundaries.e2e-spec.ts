import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The architecture rule of docs/architecture.md, checked by the linter itself: apps never import apps,
 * libraries never import apps, contracts depend on nothing of ours.
 */
describe('module boundaries (Nx tags, enforced by lint)', () => {
  const root = join(__dirname, '..');
  const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };

  beforeAll(() => {
    // The Nx rule reads the cached project graph; computing it takes well under a second.
    execFileSync(join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], {
      cwd: root,
      env: nxEnv,
      stdio: 'ignore',
    });
  });

  /** Lints `code` as if it were the file at `filePath`, with the project's own ESLint config. */
  async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
    let output: string;
    try {
      output = execFileSync(join(root, 'node_modules', '.bin', 'eslint'), ['--format', 'json', '--stdin', '--stdin-filename', join(root, filePath)], {
        cwd: root,
        env: nxEnv,
        input: code,
      }).toString();
    } catch (error) {
      output = String((error as { stdout?: Buffer }).stdout ?? ''); // exit code 1: lint errors found
    }
    const [result] = JSON.parse(output) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('stops an app from importing another app', async () => {
    const errors = await boundaryErrors('apps/intake/src/probe.ts', "import { service } from '../../triage/src/service';\nexport const x = service;\n");
    expect(errors).toHaveLength(1);
  });

  it('stops a library from importing an app', async () => {
    const errors = await boundaryErrors('libs/messaging/src/probe.ts', "import { service } from '../../../apps/triage/src/service';\nexport const x = service;\n");
    expect(errors).toHaveLength(1);
  });

  it('keeps contracts free of our other libraries', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import { BaseConfig } from '@vigil/platform';\nexport const y = BaseConfig;\n");
    expect(errors).toEqual([expect.stringContaining('type:contracts')]);
  });

  it('lets an app use the platform and contracts libraries', async () => {
    const errors = await boundaryErrors(
      'apps/intake/src/probe.ts',
      "import { Topics } from '@vigil/contracts';\nimport { BaseConfig } from '@vigil/platform';\nexport const z = [Topics, BaseConfig];\n",
    );
    expect(errors).toEqual([]);
  });
});
