#!/usr/bin/env node
/**
 * `node scripts/probe-cost.js`: what the diagnostics probe costs per frame while nobody subscribes
 * to codex-rx's `diagnostics_channel` channels and NODE_DEBUG is off (the usual case): the calls the
 * connection makes for each inbound and outbound frame, timed in a loop on the built package.
 */
'use strict';
const path = require('node:path');
const { ensureBuilt } = require('./lib/packed');

ensureBuilt();
const { nodeProbe } = require(path.join(__dirname, '..', 'dist', 'cjs', 'streams', 'node-probe.js'));
const inbound = { method: 'item/agentMessage/delta', params: { threadId: 't', turnId: 'u', itemId: 'i', delta: 'x' } };
const outbound = '{"id":7,"method":"turn/start","params":{"threadId":"t","input":[]}}';
const connection = {};
const N = 10_000_000;
const results = [];
for (let run = 0; run < 5; run++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) nodeProbe.inbound(inbound, connection);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) nodeProbe.outbound(outbound, connection);
  const t2 = process.hrtime.bigint();
  results.push([Number(t1 - t0) / N, Number(t2 - t1) / N]);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `probe with no subscriber: inbound ${median(results.map((r) => r[0])).toFixed(1)} ns/frame, ` +
    `outbound ${median(results.map((r) => r[1])).toFixed(1)} ns/frame (median of 5 runs of ${N.toLocaleString('en')})`,
);
