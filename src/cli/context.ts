import { ConfigError, loadConfig, type Config } from '../config';
import { openEngine } from '../store';
import type { Engine } from '../store/ports';

/** A failure the operator caused or can fix: printed as a plain message, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Usage mistakes exit with 2, like the server's configuration errors. */
export const usageError = (message: string): CliError => new CliError(`${message}\n(try: parley help)`, 2);

/** Messages for the operator go to stderr: stdout carries data (an export, --json output). */
export const say = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/** The server's own configuration (environment, .env, DATA_DIR, MONGO_*) and engine. */
export async function withEngine<T>(run: (engine: Engine, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid configuration: ${error.message}`, 2);
    throw error;
  }
  const engine = await openEngine(config);
  try {
    return await run(engine, config);
  } finally {
    await engine.close();
  }
}
