/**
 * OTLP/HTTP protobuf load generator, in its own process: `concurrency` connections each send the next
 * request as soon as the previous one is answered, for `seconds`; answers 429/503 are honoured
 * (Retry-After, capped at 1 s) and counted. The request bodies are built before the clock starts (a pool
 * of distinct requests, replayed with fresh trace/span ids), so the generator stays light.
 *
 *   node collector/bench/load.ts '{"url":"http://127.0.0.1:4318","batch":500,"seconds":10,"concurrency":40}'
 *
 * With "rate" (spans/s) it runs an open loop instead: requests start on a fixed schedule.
 *
 * Prints one JSON line: accepted spans, request latency percentiles, and (with "records": true) every
 * acknowledged request's [send epoch ms, ack epoch ms, USD] for the alert-latency analysis.
 */
import { SpanGenerator } from './lib/otlp-gen.ts';

interface Options {
  url: string;
  batch: number;
  seconds: number;
  concurrency: number;
  poolSpans?: number;
  records?: boolean;
  /** Open loop: send at this many spans/s (requests started on schedule, whatever is in flight). */
  rate?: number;
}
const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const gen = new SpanGenerator();
const poolSize = Math.max(o.concurrency * 2, Math.ceil((o.poolSpans ?? 100_000) / o.batch));
const pool = Array.from({ length: poolSize }, (_, i) => gen.request(o.batch, i));
const epoch = () => performance.timeOrigin + performance.now();
const url = `${o.url}/v1/traces`;

let next = 0;
function take() {
  const i = next++;
  const r = pool[i % poolSize]!;
  const pass = Math.floor(i / poolSize);
  return { body: pass === 0 ? r.body : gen.respin(r.body, pass), spans: r.spans, costUsd: r.costUsd };
}

const latencies: number[] = [];
const records: Array<[number, number, number]> = [];
let accepted = 0;
let requests = 0;
let refused = 0;
let errors = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = epoch();
const endAt = started + o.seconds * 1000;
let lastAck = started;

async function connection(): Promise<void> {
  while (epoch() < endAt) {
    const req = take();
    const sent = epoch();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: req.body,
      });
      await res.arrayBuffer();
    } catch {
      errors++;
      await sleep(100);
      continue;
    }
    const ack = epoch();
    requests++;
    if (res.status === 200) {
      accepted += req.spans;
      latencies.push(ack - sent);
      if (o.records) records.push([sent, ack, req.costUsd]);
      lastAck = ack;
    } else if (res.status === 429 || res.status === 503) {
      refused++;
      const after = Number(res.headers.get('retry-after') ?? '1');
      await sleep(Math.min(1000, Math.max(10, after * 1000)));
    } else {
      errors++;
    }
  }
}

async function sendOne(): Promise<void> {
  const req = take();
  const sent = epoch();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: req.body,
    });
    await res.arrayBuffer();
    const ack = epoch();
    requests++;
    if (res.status === 200) {
      accepted += req.spans;
      latencies.push(ack - sent);
      if (o.records) records.push([sent, ack, req.costUsd]);
      lastAck = ack;
    } else if (res.status === 429 || res.status === 503) refused++;
    else errors++;
  } catch {
    errors++;
  }
}

/** Open loop: start requests on a fixed schedule (catching up after timer delays). */
async function openLoop(rate: number): Promise<void> {
  const every = (o.batch / rate) * 1000;
  const inFlight = new Set<Promise<void>>();
  let sentCount = 0;
  while (epoch() < endAt) {
    const due = Math.floor((epoch() - started) / every) + 1;
    while (sentCount < due) {
      sentCount++;
      const p = sendOne().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(Math.max(1, every / 2));
  }
  await Promise.all(inFlight);
}

if (o.rate) await openLoop(o.rate);
else await Promise.all(Array.from({ length: o.concurrency }, connection));
latencies.sort((a, b) => a - b);
const q = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? Number.NaN;
console.log(
  JSON.stringify({
    batch: o.batch,
    concurrency: o.concurrency,
    started,
    lastAck,
    seconds: (lastAck - started) / 1000,
    accepted,
    requests,
    refused,
    errors,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    ...(o.records ? { records } : {}),
  }),
);
