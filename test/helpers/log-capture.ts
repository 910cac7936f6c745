import { Writable } from 'node:stream';

/** A pino destination that keeps every line the server logs, for asserting on them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  }

  get text(): string {
    return this.lines.join('\n');
  }

  /** The lines as parsed JSON objects. */
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
