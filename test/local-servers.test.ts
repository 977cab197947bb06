/**
 * cognito-local (a separate Node process) ends with the process that started it, however that one ends: a test worker
 * or local mode killed with SIGKILL runs no exit handler, and an orphan would keep its port and data folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..');
const START = "require('./local/aws-servers').startCognito().then((c) => { console.log('COGNITO ' + c.endpoint); setInterval(() => {}, 1000); });";

async function listening(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

test('cognito-local stops when the process that started it is killed with SIGKILL', async () => {
  // One process (tsx's require hook, no tsx wrapper process): the one that starts cognito-local is the one killed.
  const parent: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', START], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`cognito-local did not start: ${output}`)), 20_000);
      parent.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /COGNITO (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(await listening(endpoint)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while ((await listening(endpoint)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await listening(endpoint)).toBe(false);
  } finally {
    parent.kill('SIGKILL');
  }
}, 30_000);
