/**
 * CDK's template validation plugin in a worker thread (lib/compliance-template-validation.ts starts it when a synth
 * will check every template), answering requests in order while the synth waits for them synchronously.
 */
import { dirname, join } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

const AWS_CDK_LIB_DIR = dirname(require.resolve('aws-cdk-lib'));

/**
 * The plugin (the same class, from the same aws-cdk-lib) in a worker thread that starts its engine as soon as it is
 * created. The plugin starts an engine with the built-in rules of the templates' resource types; the engine started
 * for no types is that engine when those types pick no built-in rule (checked by the caller, which then sends the
 * types for the plugin to keep it), else the plugin starts the one it needs, as in this thread.
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const { pluginFile, port, flag } = workerData;
let plugin;
let startError;
try {
  plugin = new (require(pluginFile).CloudFormationValidatePlugin)();
  plugin.initializeEngine(new Set());
} catch (error) {
  startError = error;
}
port.on('message', ({ context, types }) => {
  let answer;
  try {
    if (startError) throw startError;
    if (types) plugin.engineResourceTypes = new Set(types);
    answer = { report: plugin.validate(context), pluginVersion: plugin.version };
  } catch (error) {
    answer = { error: String((error && error.stack) || error) };
  }
  port.postMessage(answer);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

export class ValidationWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** How many requests the worker has answered. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly answers: Array<{ report?: PolicyValidationPluginReport; pluginVersion?: string }> = [];
  private sent = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      // The app's loader (tsx) is not needed for a .js file of aws-cdk-lib.
      execArgv: [],
      workerData: { pluginFile: join(AWS_CDK_LIB_DIR, 'core', 'lib', 'validation', 'cloudformation-validate-plugin.js'), port: port2, flag: this.flag },
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('error', () => undefined); // reported through validate(), which then validates in this thread
  }

  /** Asks for the plugin's report on these templates (answered in order); returns the ticket to wait for. */
  post(context: IPolicyValidationContext, engineTypes: ReadonlySet<string> | undefined): number {
    this.port.postMessage({ context: { templatePaths: context.templatePaths, stackTemplates: context.stackTemplates }, types: engineTypes && [...engineTypes] });
    return this.sent++;
  }

  /** The plugin's report and version for a ticket, waited for; undefined if the worker could not give it. */
  answer(ticket: number): WorkerAnswer | undefined {
    // Synth is synchronous: block until the worker has answered this far (or has ended without answering).
    for (let answered = Atomics.load(this.flag, 0); answered <= ticket; answered = Atomics.load(this.flag, 0)) {
      if (Atomics.wait(this.flag, 0, answered, 250) === 'timed-out' && this.worker.threadId < 0) return undefined;
    }
    while (this.answers.length <= ticket) {
      const received = receiveMessageOnPort(this.port);
      if (!received) return undefined;
      this.answers.push(received.message as { report?: PolicyValidationPluginReport; pluginVersion?: string });
    }
    const { report, pluginVersion } = this.answers[ticket];
    return report ? { report, pluginVersion } : undefined;
  }

  stop(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

export interface WorkerAnswer {
  readonly report: PolicyValidationPluginReport;
  readonly pluginVersion?: string;
}
