/**
 * Runs docs/tutorial.md: two nodes started with exactly the compose file's environment (ports
 * moved to free ones, root paths to temp dirs, host names to 127.0.0.1), every marked request
 * sent in order, every response compared with the one printed (volatile fields aside).
 * UPDATE_TUTORIAL=1 writes the real responses into the markdown instead of comparing.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startNode, type TestNode } from '../helpers/node-process.js';
import { composeEnvironment, REPO_ROOT } from './docker-files.js';
import { formatJson, parseTutorial, withoutVolatile, type CurlRequest, type TutorialStep } from './tutorial-steps.js';

const TUTORIAL = `${REPO_ROOT}/docs/tutorial.md`;
const CONTAINER_CLUSTERING_PORT = 62344;
const UPDATE = process.env.UPDATE_TUTORIAL === '1';

interface Side { name: 'edge' | 'hq'; service: string; hostOpsPort: number; env: Record<string, string>; clusteringPort: number; opsPort: number; httpPort: number; mqttPort: number; node: TestNode | null; root: string }

const compose = parseYaml(readFileSync(`${REPO_ROOT}/docker-compose.yml`, 'utf8')) as { services: Record<string, { environment?: string[] }> };
const sides: Side[] = [];
after(async () => {
  for (const s of sides) {
    await s.node?.stop();
    if (s.root) rmSync(s.root, { recursive: true, force: true });
  }
});

function side(name: 'edge' | 'hq', service: string, hostOpsPort: number): Side {
  // The root path outlives a stop/start of the node, like the container's volume.
  const root = mkdtempSync(join(tmpdir(), `ferrydb-tutorial-${name}-`));
  return { name, service, hostOpsPort, env: composeEnvironment(compose.services[service]!.environment), clusteringPort: 0, opsPort: 0, httpPort: 0, mqttPort: 0, node: null, root };
}

/** Starts a side's node: on free ports the first time (the container's ports, moved), on the same ones after. */
async function start(s: Side): Promise<void> {
  const { CLUSTERING_PORT: _c, HTTP_PORT: _h, MQTT_NETWORK_PORT: _m, ...env } = s.env;
  const pinned = s.opsPort !== 0;
  s.node = await startNode({
    nodeName: env.NODE_NAME!, user: env.HDB_ADMIN_USERNAME!, password: env.HDB_ADMIN_PASSWORD!, rootPath: s.root, cleanup: false,
    ...(pinned ? { opsPort: s.opsPort, clusteringPort: s.clusteringPort } : {}),
    env: { ...env, LOG_LEVEL: 'warn', ...(pinned ? { HTTP_PORT: String(s.httpPort), MQTT_NETWORK_PORT: String(s.mqttPort) } : {}) },
  });
  ({ opsPort: s.opsPort, clusteringPort: s.clusteringPort, httpPort: s.httpPort, mqttPort: s.mqttPort } = s.node);
}

function mapRequestBody(body: Record<string, unknown> | null, edge: Side): string | undefined {
  if (!body) return undefined;
  return JSON.stringify(body, (key, value) => {
    if (key === 'host' && value === edge.service) return '127.0.0.1';
    if (key === 'port' && value === CONTAINER_CLUSTERING_PORT) return edge.clusteringPort;
    return value;
  });
}

/** Real values that only exist in this test run, turned back into what compose would show. */
function mapResponse(value: unknown, edge: Side): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => {
    if (typeof v === 'number' && sides.some((s) => s.clusteringPort === v)) return CONTAINER_CLUSTERING_PORT;
    if (v === '127.0.0.1' && (key === 'host' || key === 'hostname' || key === 'host_address')) return edge.service;
    return v;
  });
}

async function send(req: CurlRequest, target: Side, edge: Side): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (req.user) headers.authorization = `Basic ${Buffer.from(`${req.user}:${req.password}`).toString('base64')}`;
  if (req.body) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${target.opsPort}${req.path}`, { method: req.method, headers, body: mapRequestBody(req.body, edge) });
  const text = await res.text();
  return mapResponse(JSON.parse(text), edge);
}

test('the tutorial\'s requests give the responses it prints', { timeout: 120_000 }, async () => {
  let markdown = readFileSync(TUTORIAL, 'utf8');
  const steps = parseTutorial(markdown);
  assert.ok(steps.filter((s) => s.kind === 'step').length >= 10, 'the tutorial has its marked steps');
  // Free ports for both; a restart keeps the ones its first start got.
  const edge = side('edge', 'ferry-edge', 9900);
  const hq = side('hq', 'ferry-hq', 9902);
  sides.push(edge, hq);
  await Promise.all([start(edge), start(hq)]);

  const rewrites: { range: [number, number]; text: string }[] = [];
  const compose2local = steps.filter((s): s is TutorialStep => s.kind === 'step' && s.variant === 'local');
  for (const step of steps) {
    if (step.kind === 'action') {
      if (step.name === 'stop hq') { await hq.node!.stop(); hq.node = null; }
      else if (step.name === 'start hq') await start(hq);
      else if (step.name === 'start nodes') { /* started above */ }
      else assert.fail(`line ${step.line}: unknown action '${step.name}'`);
      continue;
    }
    if (step.variant !== null) continue;
    const sameAsLocal = compose2local.filter((l) => l.request.body?.operation === step.request.body?.operation && step.request.body?.operation !== undefined);
    const target = [edge, hq].find((s) => s.hostOpsPort === step.request.port);
    assert.ok(target, `line ${step.line}: port ${step.request.port} is neither edge (9900) nor hq (9902)`);
    const expected = withoutVolatile(step.response, step.ignore);
    let actual: unknown;
    // Replication is asynchronous: a `wait` step is retried until it matches. When writing
    // the responses, it is given a few seconds to settle and the last answer is taken.
    const deadline = Date.now() + (step.wait ? (UPDATE ? 5000 : 15_000) : 0);
    for (;;) {
      actual = await send(step.request, target, edge);
      let same = false;
      try { assert.deepEqual(withoutVolatile(actual, step.ignore), expected); same = true; } catch { /* retried below while waiting */ }
      if (same || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (UPDATE) {
      for (const s of [step, ...sameAsLocal]) rewrites.push({ range: s.responseRange, text: `${formatJson(actual)}\n` });
    }
    else assert.deepEqual(withoutVolatile(actual, step.ignore), expected, `line ${step.line}: ${step.request.body?.operation ?? step.request.path} on ${target.name} answered ${JSON.stringify(actual)}`);
  }
  // The local variant of a request must be the compose one with the local address.
  for (const local of UPDATE ? [] : compose2local) {
    const op = local.request.body?.operation;
    const composeStep = steps.find((s): s is TutorialStep => s.kind === 'step' && s.variant === null && s.request.body?.operation === op);
    assert.ok(composeStep, `line ${local.line}: no compose step for '${String(op)}'`);
    assert.deepEqual({ ...local.request.body, host: 'ferry-edge', port: CONTAINER_CLUSTERING_PORT }, composeStep.request.body);
    assert.deepEqual(local.response, composeStep.response);
  }
  if (UPDATE) {
    for (const r of rewrites.sort((a, b) => b.range[0] - a.range[0])) markdown = markdown.slice(0, r.range[0]) + r.text + markdown.slice(r.range[1]);
    writeFileSync(TUTORIAL, markdown);
  }
});
