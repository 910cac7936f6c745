import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { loadConfig } from '../src/config';
import { tempDataDir } from './helpers/server';

const example = parse(readFileSync(path.join(__dirname, '..', '.env.example'), 'utf8'));

/** The variables loadConfig reads from `env`, found by watching it read them. */
function variablesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  loadConfig(watched);
  return read;
}

describe('.env.example', () => {
  const dataDir = tempDataDir();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names every variable the app reads, whichever engine is configured', () => {
    const read = new Set([
      ...variablesRead({ DATA_DIR: dataDir }),
      ...variablesRead({ DATA_DIR: dataDir, MONGO_HOST: 'db.internal', MONGO_USER: 'parley', MONGO_PASS: 'secret' }),
      ...variablesRead({ DATA_DIR: dataDir, MONGO_URL: 'mongodb://db.internal:27017' }),
    ]);
    expect(read.size).to.be.above(15);
    expect(
      [...read].filter((name) => !(name in example)),
      'missing from .env.example',
    ).to.deep.equal([]);
  });

  it('names nothing the app does not read', () => {
    const read = new Set([
      ...variablesRead({ DATA_DIR: dataDir }),
      ...variablesRead({ DATA_DIR: dataDir, MONGO_HOST: 'db.internal', MONGO_USER: 'parley', MONGO_PASS: 'secret' }),
    ]);
    expect(Object.keys(example).filter((name) => !read.has(name))).to.deep.equal([]);
  });

  it('gives the defaults: loaded as it is, it configures exactly what an empty environment does', () => {
    const { DATA_DIR: _dataDir, ...rest } = example;
    const fromExample = loadConfig({ ...rest, DATA_DIR: dataDir });
    const fromNothing = loadConfig({ DATA_DIR: dataDir });
    expect(fromExample).to.deep.equal(fromNothing);
    // DATA_DIR too (with a key given, so that nothing is written into it).
    const key = { SECRET_KEY: 'k'.repeat(32) };
    expect(loadConfig({ ...example, ...key }).dataDir).to.equal(loadConfig(key).dataDir);
  });
});
