import { expect } from 'chai';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { tempDataDir } from './helpers/server';

describe('config: PRIVACY_KEY', () => {
  const dataDir = tempDataDir();
  const base = { DATA_DIR: dataDir, SECRET_KEY: 'k'.repeat(32) };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('takes 64 hex digits', () => {
    const key = 'ab'.repeat(32);
    const config = loadConfig({ ...base, PRIVACY_KEY: key });
    expect(config.privacyKey.toString('hex')).to.equal(key);
    expect(config.privacyKeyGenerated).to.equal(false);
  });

  it('refuses anything else, naming the variable and not the value', () => {
    for (const bad of ['short', 'zz'.repeat(32), 'ab'.repeat(33)]) {
      let error: unknown;
      try {
        loadConfig({ ...base, PRIVACY_KEY: bad });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).variable).to.equal('PRIVACY_KEY');
      expect((error as Error).message).not.to.contain(bad);
    }
  });

  it('is generated once into DATA_DIR when unset (mode 0600), and the same key is read back', () => {
    const first = loadConfig(base);
    expect(first.privacyKeyGenerated).to.equal(true);
    const file = path.join(dataDir, 'privacy_key');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8').trim()).to.equal(first.privacyKey.toString('hex'));
    expect(loadConfig(base).privacyKey.equals(first.privacyKey)).to.equal(true);
  });

  it('refuses a damaged key file rather than making a new key (which would lose every encrypted field)', () => {
    writeFileSync(path.join(dataDir, 'privacy_key'), 'damaged\n');
    expect(() => loadConfig(base)).to.throw(ConfigError, /privacy_key is damaged/);
  });
});
