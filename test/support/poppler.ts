import { execFileSync, spawnSync } from 'node:child_process';

/**
 * poppler's pdftotext and pdftoppm (Debian package poppler-utils), which the PDF tests read reports
 * with. Installed when missing (as root, with apt-get), so no PDF test is ever skipped for want of it.
 */
export function ensurePoppler(): { pdftotext: string; pdftoppm: string } {
  const find = (tool: string) => {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    return found.status === 0 ? found.stdout.trim() : undefined;
  };
  if (!find('pdftotext') || !find('pdftoppm')) {
    const run = (args: string[]) => execFileSync('apt-get', args, { stdio: 'pipe', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    try {
      run(['install', '-y', '--no-install-recommends', 'poppler-utils']);
    } catch {
      run(['update']);
      run(['install', '-y', '--no-install-recommends', 'poppler-utils']);
    }
  }
  const pdftotext = find('pdftotext');
  const pdftoppm = find('pdftoppm');
  if (!pdftotext || !pdftoppm) throw new Error('poppler-utils (pdftotext, pdftoppm) could not be installed: install it with apt-get install poppler-utils');
  return { pdftotext, pdftoppm };
}

/** The text of a PDF, in reading layout, as pdftotext extracts it. */
export function pdfText(pdftotext: string, file: string): string {
  return execFileSync(pdftotext, ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}
