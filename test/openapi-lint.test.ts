import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { httpRoutes } from '../src/http/app';
import { buildOpenApi } from '../src/http/openapi';
import { createMetricsRegistry } from '../src/metrics';

const ROOT = path.join(__dirname, '..');
const lint = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lint-openapi.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('OpenAPI lint (Redocly, recommended rules): npm run lint:openapi', function () {
  this.timeout(90_000);

  it('finds 0 errors and 0 warnings in the document the routes generate', () => {
    const run = lint();
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.include('openapi.json: 0 errors, 0 warnings');
    expect(run.stdout).to.include('openapi-metrics-token.json: 0 errors, 0 warnings');
  });

  it('fails, naming the rules, on a document that breaks them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-lint-test-'));
    try {
      const doc = buildOpenApi(httpRoutes(createMetricsRegistry())) as Record<string, unknown> & {
        info: Record<string, unknown>;
      };
      delete doc.servers;
      delete doc.info.license;
      const file = path.join(dir, 'broken.json');
      writeFileSync(file, JSON.stringify(doc));
      const run = lint(file);
      expect(run.status, run.stdout + run.stderr).to.equal(1);
      expect(run.stderr).to.include('no-empty-servers').and.include('info-license');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the chat page is documented: GET /messenger/, text/html, public', () => {
    const op = buildOpenApi(httpRoutes(createMetricsRegistry())).paths['/messenger/'].get;
    expect(op.operationId).to.equal('chatPage');
    expect(op.security).to.deep.equal([]);
    expect(Object.keys((op.responses as Record<string, { content?: object }>)['200'].content!)).to.deep.equal([
      'text/html',
    ]);
  });
});
