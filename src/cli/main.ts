import 'dotenv/config';
import { BENCH_USAGE, benchRebuildCommand } from './bench-rebuild';
import { CliError, say } from './context';
import { EVENTS_USAGE, eventsCommand } from './events';
import { PRIVACY_USAGE, privacyCommand } from './privacy';
import { REBUILD_USAGE, rebuildCommand } from './rebuild';
import { PROJECTIONS_USAGE, projectionsCommand } from './status';
import { VERSION } from '../version';

const USAGE = `parley ${VERSION}: operator tools. They read the server's configuration (environment, .env, DATA_DIR, MONGO_*).

${REBUILD_USAGE}

${PROJECTIONS_USAGE}

${EVENTS_USAGE}

${BENCH_USAGE}

${PRIVACY_USAGE}

parley --version
  Prints the version.`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  rebuild: rebuildCommand,
  projections: projectionsCommand,
  events: eventsCommand,
  'bench-rebuild': benchRebuildCommand,
  privacy: privacyCommand,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new CliError(`unknown command: ${command}\n(try: parley help)`, 2);
  await run(args);
}

// exitCode rather than exit(): stdout (an export in a pipe) must drain before the process ends.
main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError) {
    say(`parley: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    // parseArgs reports unknown or malformed options this way.
    say(`parley: ${(error as Error).message}\n(try: parley help)`);
    process.exitCode = 2;
  } else if (['ENOENT', 'EEXIST', 'EACCES', 'EISDIR'].includes((error as { code?: string }).code ?? '')) {
    // A file given with --input or --output: the operator's to fix, no stack trace needed.
    say(`parley: ${(error as Error).message}`);
    process.exitCode = 1;
  } else {
    say(`parley: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
});
