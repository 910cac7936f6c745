import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './server';

/**
 * A bench module (TypeScript, run through tsx) in its own process, driven over IPC one command at
 * a time: each command gets exactly one reply {ok, result} or {ok:false, error}.
 */
export class BenchChild {
  private readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    private readonly name: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(module: string, extraArgs: string[] = []): BenchChild {
    const file = path.join(ROOT, 'bench', module);
    const child = fork(file, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', ...extraArgs],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new BenchChild(child, module);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for an unsolicited message the child sends on its own (e.g. a relay's port). */
  nextMessage<T>(timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no message within ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code: number | null) => reject(new Error(`${this.name} exited (${code}) before answering`));
      this.child.once('exit', onExit);
      this.child.once('message', (msg) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(msg as T);
      });
    });
  }

  async call<T>(command: object, timeoutMs = 300_000): Promise<T> {
    const reply = this.nextMessage<{ ok: boolean; result?: T; error?: string }>(timeoutMs);
    this.child.send(command);
    const { ok, result, error } = await reply;
    if (!ok) throw new Error(`${this.name}: ${error}`);
    return result as T;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
