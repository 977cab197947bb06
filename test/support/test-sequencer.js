// Runs the suites that read the synthesized assembly (test/support/assembly.ts, directly or through another support
// module) after every other suite. They block their worker until the global setup's synth is done; started first
// (jest runs the longest suites first, and waiting made them long) they would hold every worker idle while the synth
// runs instead of letting the handler and config suites use the machine meanwhile. Within each group jest's own order
// stands (failed first, then longest first).
const Sequencer = require('@jest/test-sequencer').default;
const { readFileSync, statSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

const ASSEMBLY = resolve(__dirname, 'assembly.ts');
const RELATIVE_IMPORT = /(?:from|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Whether `file` imports the assembly module, following relative imports of TypeScript files. */
function readsAssembly(file, seen = new Set()) {
  if (file === ASSEMBLY) return true;
  if (seen.has(file) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return false;
  seen.add(file);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
    const target = resolve(dirname(file), specifier);
    if ([target, `${target}.ts`, resolve(target, 'index.ts')].some((candidate) => readsAssembly(candidate, seen))) return true;
  }
  return false;
}

class AssemblyLastSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const last = new Set(ordered.filter((test) => readsAssembly(test.path)));
    return [...ordered.filter((test) => !last.has(test)), ...ordered.filter((test) => last.has(test))];
  }
}

module.exports = AssemblyLastSequencer;
