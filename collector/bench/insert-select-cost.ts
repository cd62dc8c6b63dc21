// Why INSERT ... SELECT into genai_spend is slow: bare table vs skip indexes vs the rollup MV vs optimize_on_insert (run: node collector/bench/insert-select-cost.ts)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openStore, parseConfig, schemaFor } from '../dist/index.js';

const dir = mkdtempSync(join(tmpdir(), 'brexp-'));
const config = parseConfig(JSON.stringify({ data_dir: dir }), 'bench');
const store = await openStore(config);
const client = store.client;
await migrate(client, schemaFor(config));
const N = 200000;
const sel = `SELECT toDateTime64(1794821280 + n * 3.0, 9) AS timestamp, lower(leftPad(hex(intHash64(intDiv(n, 4))), 32, '0')) AS trace_id, lower(leftPad(hex(intHash64(n)), 16, '0')) AS span_id, 'svc' AS service_name, concat('user-', toString(intHash32(n + 13) % 20000)) AS user_id, concat('session-', toString(intDiv(n, 8))) AS session_id, 'gpt-4o' AS model, 1.5 AS cost_usd FROM (SELECT number AS n FROM numbers(${N}))`;
const cols = 'timestamp, trace_id, span_id, service_name, user_id, session_id, model, cost_usd';
await client.command({ query: 'CREATE TABLE burnrate.bare AS burnrate.genai_spend' });
for (const i of ['idx_trace_id', 'idx_user', 'idx_session', 'idx_feature', 'idx_tenant'])
  await client.command({ query: `ALTER TABLE burnrate.bare DROP INDEX ${i}` });
await client.command({
  query:
    'CREATE TABLE burnrate.mt (timestamp DateTime64(9), trace_id String, span_id String, service_name String, user_id String, session_id String, model String, cost_usd Float64) ENGINE = MergeTree ORDER BY timestamp',
});
const t = async (label: string, q: string) => {
  const t0 = performance.now();
  await client.command({ query: q });
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's');
};
await t('select only (count)', `SELECT count() FROM (${sel})`);
await t('plain MergeTree        ', `INSERT INTO burnrate.mt (${cols}) SELECT ${cols} FROM (${sel})`);
await t('genai_spend no idx/MV  ', `INSERT INTO burnrate.bare (${cols}) SELECT ${cols} FROM (${sel})`);
await t('genai_spend (idx + MV) ', `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel})`);
await t(
  'genai_spend (idx + MV) optimize_on_insert=0',
  `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel}) SETTINGS optimize_on_insert=0`,
);
await t(
  'genai_spend (idx + MV) again',
  `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel})`,
);
await t(
  'genai_spend (idx + MV) optimize_on_insert=0 again',
  `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel}) SETTINGS optimize_on_insert=0`,
);
await client.command({ query: 'DETACH TABLE burnrate.genai_spend_1m_mv' });
await t('genai_spend idx, no MV ', `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel})`);
await t(
  'genai_spend idx,noMV,1part',
  `INSERT INTO burnrate.genai_spend (${cols}) SELECT ${cols} FROM (${sel}) SETTINGS max_insert_threads=2`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
