/**
 * Lints the OpenAPI document the server publishes with Redocly's recommended rules: it is
 * generated from the routes (as GET /openapi.json does), written to a temporary directory and
 * linted there. Fails on any error or warning. `npm run lint:openapi`; test/openapi-lint.test.ts runs it.
 * `npm run lint:openapi -- some.json` lints that document instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { httpRoutes } from '../src/http/app';
import { buildOpenApi } from '../src/http/openapi';
import { createMetricsRegistry } from '../src/metrics';

/**
 * Rules set aside, each for one path. The chat page lives at /messenger/ (the URL it always had;
 * /messenger redirects there), which no-path-trailing-slash would have be an API path without the slash.
 * /users/blocks/{username} (DELETE only, a name the issue fixed) and /users/{username}/picture (GET only)
 * both match /users/blocks/picture, but never for one method, and 'picture' and 'blocks' are reserved
 * usernames, so no-ambiguous-paths has nothing real to find there.
 */
const IGNORED = `openapi.json:
  no-path-trailing-slash:
    - '#/paths/~1messenger~1'
  no-ambiguous-paths:
    - '#/paths/~1users~1{username}~1picture'
`;

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location?: { pointer?: string }[] }[];
}

const dir = mkdtempSync(path.join(tmpdir(), 'parley-openapi-'));
try {
  const given = process.argv[2];
  // With and without the metrics token: the document differs in /metrics' security.
  const documents: Record<string, unknown> = given
    ? { [path.basename(given)]: JSON.parse(readFileSync(given, 'utf8')) as unknown }
    : {
        'openapi.json': buildOpenApi(httpRoutes(createMetricsRegistry())),
        'openapi-metrics-token.json': buildOpenApi(httpRoutes(createMetricsRegistry()), {
          security: { metrics: 'metricsToken' },
        }),
      };
  let failed = false;
  for (const [name, document] of Object.entries(documents)) {
    writeFileSync(path.join(dir, name), JSON.stringify(document, null, 2));
    writeFileSync(path.join(dir, '.redocly.lint-ignore.yaml'), IGNORED.replace('openapi.json', name));
    const cli = require.resolve('@redocly/cli/bin/cli.js');
    const run = spawnSync(process.execPath, [cli, 'lint', '--extends=recommended', '--format=json', name], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const start = run.stdout.indexOf('{');
    if (start < 0) throw new Error(`redocly gave no report (exit ${run.status}): ${run.stderr}`);
    const report = JSON.parse(run.stdout.slice(start)) as LintReport;
    for (const p of report.problems.filter((x) => x.severity !== 'off' && x.severity !== 'ignored')) {
      console.error(`${name}: ${p.severity} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? ''})`);
    }
    const { errors, warnings, ignored } = report.totals;
    console.log(`${name}: ${errors} errors, ${warnings} warnings (${ignored} set aside on purpose)`);
    if (errors + warnings > 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
