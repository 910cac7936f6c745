import { expect } from 'chai';
import Database from 'better-sqlite3';
import type { Db } from 'mongodb';
import { READ_MODELS, ownerOfOp, readModelOf } from '../src/read-models';
import { PROJECTIONS } from '../src/projections';
import { openSqliteEngine } from '../src/store/sqlite';
import { migrate } from '../src/store/sqlite/schema';

/** The registry is what both engines iterate: a read model missing a piece on one engine shows here. */
describe('read-model registry', () => {
  const kinds = (handlers: object) => Object.keys(handlers).sort();

  it('gives each projection its read model, in the registry order', () => {
    expect(PROJECTIONS.map((p) => p.name)).to.deep.equal(['users', 'sessions', 'inbox', 'conversations', 'chat']);
    for (const p of PROJECTIONS) expect(readModelOf(p.name).projection).to.equal(p);
    expect(() => readModelOf('nope')).to.throw(/unknown projection: nope/);
  });

  it('gives every owned table its SQLite DDL and MongoDB indexes, and no table two owners', () => {
    const tables = READ_MODELS.flatMap((m) => m.tables);
    expect(new Set(tables).size).to.equal(tables.length);
    for (const m of READ_MODELS) {
      expect(Object.keys(m.sqlite.ddl).sort(), m.projection.name).to.deep.equal([...m.tables].sort());
      expect(Object.keys(m.mongo.indexes).sort(), m.projection.name).to.deep.equal([...m.tables].sort());
      for (const table of Object.keys(m.sqlite.staged ?? {})) expect(m.tables).to.include(table);
      for (const staged of Object.values(m.sqlite.staged ?? {})) expect(kinds(m.sqlite.apply)).to.include(staged.kind);
    }
  });

  it('writes every kind of op on both engines, each kind owned by one read model', () => {
    const all = READ_MODELS.flatMap((m) => kinds(m.sqlite.apply));
    expect(new Set(all).size).to.equal(all.length);
    for (const m of READ_MODELS) {
      expect(kinds(m.mongo.apply), m.projection.name).to.deep.equal(kinds(m.sqlite.apply));
      for (const kind of kinds(m.sqlite.apply)) expect(ownerOfOp(kind)).to.equal(m);
    }
    expect(ownerOfOp('nope.add')).to.equal(undefined);
  });

  it('answers the same queries on both engines, no query name claimed twice', async () => {
    const db = new Database(':memory:');
    migrate(db);
    const engine = openSqliteEngine({ file: ':memory:' });
    try {
      // Building the Mongo queries only names collections; nothing is sent anywhere.
      const noServer = { collection: () => ({}) } as unknown as Db;
      const names = READ_MODELS.flatMap((m) => {
        const sqlite = Object.keys(m.sqlite.queries(db)).sort();
        expect(Object.keys(m.mongo.queries(noServer)).sort(), m.projection.name).to.deep.equal(sqlite);
        return sqlite;
      });
      expect(new Set(names).size).to.equal(names.length);
      expect(names).to.include.members([
        'userById',
        'userByKey',
        'searchUsers',
        'session',
        'activeSessionIds',
        'inbox',
        'conversation',
        'chat',
      ]);
      for (const name of names) expect(engine.readModels).to.have.property(name).that.is.a('function');
    } finally {
      db.close();
      await engine.close();
    }
  });
});
