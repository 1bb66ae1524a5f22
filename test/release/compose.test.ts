/**
 * The Docker files, checked without a Docker engine: every variable the compose file and the
 * image set must be a setting FerryDB recognises, and every mapped container port must be a
 * port the node really listens on with that environment.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { IGNORED_ENV_NAMES, settingNames } from '../../src/config/schema.js';
import { composeEnvironment, dockerfileInstructions, REPO_ROOT } from './docker-files.js';

const compose = parseYaml(readFileSync(`${REPO_ROOT}/docker-compose.yml`, 'utf8')) as {
  services: Record<string, { environment?: string[] | Record<string, string>; ports?: string[]; volumes?: string[] }>;
};
const dockerfile = dockerfileInstructions(readFileSync(`${REPO_ROOT}/Dockerfile`, 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
const known = settingNames();
const recognised = (name: string) => known.has(name) || (IGNORED_ENV_NAMES as readonly string[]).includes(name);

test('compose file defines the ferry-edge and ferry-hq services', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['ferry-edge', 'ferry-hq']);
});

test('every variable the compose file sets is a recognised setting', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const variable of Object.keys(composeEnvironment(service.environment))) {
      assert.ok(recognised(variable), `${name}: ${variable} is not a FerryDB setting`);
    }
  }
});

test('compose file uses HarperDB variable names for the walkthrough settings', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    const env = composeEnvironment(service.environment);
    for (const required of ['HDB_ADMIN_USERNAME', 'HDB_ADMIN_PASSWORD', 'CLUSTERING', 'CLUSTERING_USER', 'CLUSTERING_PASSWORD', 'CLUSTERING_PORT', 'NODE_NAME']) {
      assert.ok(env[required] !== undefined, `${name} does not set ${required}`);
    }
    assert.equal(env.CLUSTERING, 'true');
  }
  assert.notEqual(composeEnvironment(compose.services['ferry-edge']!.environment).NODE_NAME, composeEnvironment(compose.services['ferry-hq']!.environment).NODE_NAME);
});

test('every variable the image sets is a recognised setting or NODE_ENV', () => {
  for (const variable of Object.keys(runtime.env)) {
    if (variable === 'NODE_ENV') continue;
    assert.ok(recognised(variable), `Dockerfile ENV ${variable} is not a FerryDB setting`);
  }
});

test('image listens on all interfaces and keeps its data in the volume at the root path', () => {
  const config = loadConfig({ env: runtime.env });
  assert.equal(config.operationsApi.network.host, '0.0.0.0');
  assert.equal(config.http.host, '0.0.0.0');
  assert.equal(config.clustering.host, '0.0.0.0');
  assert.equal(config.mqtt.network.host, '0.0.0.0');
  assert.deepEqual(runtime.volumes, [config.rootPath]);
  assert.equal(runtime.user, 'node');
  assert.deepEqual(runtime.cmd, ['node', 'dist/src/main.js']);
  assert.match(runtime.healthcheck ?? '', /\/health/);
  assert.deepEqual(runtime.expose.map(Number).sort(), [config.operationsApi.network.port, config.http.port, config.mqtt.network.port, config.mqtt.network.securePort, config.clustering.port].sort());
});

test('container ports of the compose mappings equal the ports the node is configured with', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    const config = loadConfig({ env: { ...runtime.env, ...composeEnvironment(service.environment) } });
    const configured = [config.operationsApi.network.port, config.http.port, config.clustering.port].sort();
    const containerPorts = (service.ports ?? []).map((mapping) => Number(String(mapping).split(':').at(-1))).sort();
    assert.deepEqual(containerPorts, configured, `${name}: mapped container ports differ from the configured ones`);
    for (const volume of service.volumes ?? []) {
      assert.equal(volume.split(':')[1], config.rootPath, `${name}: the data volume is not mounted at the root path`);
    }
  }
});

test('compose host ports follow the walkthrough and do not collide', () => {
  const hostPorts = Object.values(compose.services).flatMap((s) => (s.ports ?? []).map((m) => String(m).split(':')[0]));
  assert.deepEqual(compose.services['ferry-edge']!.ports, ['9900:9925', '9901:9926', '62000:62344']);
  assert.deepEqual(compose.services['ferry-hq']!.ports, ['9902:9925', '9903:9926', '62001:62344']);
  assert.equal(new Set(hostPorts).size, hostPorts.length);
});
