/** Small readers for the Dockerfile and the compose file, shared by the release tests. */
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/release). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export interface DockerStage {
  name: string | null;
  env: Record<string, string>;
  volumes: string[];
  expose: string[];
  user: string | null;
  cmd: string[] | null;
  healthcheck: string | null;
}

/** Splits a Dockerfile into stages with the instructions the tests look at. */
export function dockerfileInstructions(text: string): { stages: DockerStage[] } {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, keyword, rest] = [m[0], m[1]!.toUpperCase(), m[2]!];
    if (keyword === 'FROM') {
      const as = /\s+AS\s+(\S+)$/i.exec(rest);
      stages.push({ name: as ? as[1]! : null, env: {}, volumes: [], expose: [], user: null, cmd: null, healthcheck: null });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    if (keyword === 'ENV') {
      for (const pair of rest.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S+)/g) ?? []) {
        const eq = pair.indexOf('=');
        stage.env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"|"$/g, '');
      }
    } else if (keyword === 'VOLUME') {
      stage.volumes.push(...(rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/)));
    } else if (keyword === 'EXPOSE') {
      stage.expose.push(...rest.split(/\s+/).map((p) => p.replace(/\/tcp$/, '')));
    } else if (keyword === 'USER') {
      stage.user = rest;
    } else if (keyword === 'CMD') {
      stage.cmd = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : ['/bin/sh', '-c', rest];
    } else if (keyword === 'HEALTHCHECK') {
      stage.healthcheck = rest;
    }
  }
  return { stages };
}

/** A compose service's environment (list or mapping form) as a record. */
export function composeEnvironment(environment: string[] | Record<string, string> | undefined): Record<string, string> {
  if (!environment) return {};
  if (!Array.isArray(environment)) return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
  const env: Record<string, string> = {};
  for (const entry of environment) {
    const eq = entry.indexOf('=');
    env[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? '' : entry.slice(eq + 1);
  }
  return env;
}
