/** The demo's options, its timeline and the walkthrough's table names and subscriptions. */

export const DEMO_DATABASE = 'default';
export const SENSOR_TABLE = 'sensor_data';
export const CONFIG_TABLE = 'configs';

export interface DemoOptions {
  rate: number;
  outageS: number;
  durationS: number | null;
  machines: number;
  batchRows: number;
  plain: boolean;
  /** How the fleet reaches the edge: MQTT (QoS 1, retained) or operations-API inserts. */
  via: 'mqtt' | 'operations';
}

/** Parses the demo's flags; throws an Error naming the bad one. */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  const o: DemoOptions = { rate: 2000, outageS: 10, durationS: null, machines: 20, batchRows: 500, plain: false, via: 'mqtt' };
  let outageGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`);
      return n;
    };
    switch (name) {
      case '--rate': o.rate = value(); break;
      case '--outage': o.outageS = value(); outageGiven = true; break;
      case '--duration': o.durationS = value(); break;
      case '--machines': o.machines = Math.floor(value()); break;
      case '--batch': o.batchRows = Math.floor(value()); break;
      case '--plain': o.plain = true; break;
      case '--via': {
        const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (v !== 'mqtt' && v !== 'operations') throw new Error(`--via must be mqtt or operations, got '${v ?? ''}'`);
        o.via = v;
        break;
      }
      default: throw new Error(`unknown option '${arg}'`);
    }
  }
  if (o.rate <= 0) throw new Error('--rate must be positive');
  if (o.machines < 1) throw new Error('--machines must be at least 1');
  if (o.batchRows < 1) throw new Error('--batch must be at least 1');
  if (o.durationS !== null) {
    if (o.durationS < 4) throw new Error('--duration must be at least 4 seconds');
    if (!outageGiven) o.outageS = Math.min(10, Math.floor(o.durationS / 4));
    if (o.outageS > 0 && timeline(o).restoreS! > o.durationS - 1) throw new Error(`--outage ${o.outageS} does not fit in --duration ${o.durationS}`);
  }
  return o;
}

/** When things happen, in seconds after the fleet starts. */
export function timeline(o: Pick<DemoOptions, 'durationS' | 'outageS'>): { configS: number; cutS: number | null; restoreS: number | null } {
  const configS = o.durationS !== null ? Math.max(1, o.durationS * 0.15) : 5;
  if (o.outageS <= 0) return { configS, cutS: null, restoreS: null };
  const cutS = o.durationS !== null ? Math.max(configS + 1, o.durationS * 0.3) : 15;
  return { configS, cutS, restoreS: cutS + o.outageS };
}

/** The walkthrough's subscriptions, as hq declares them for the edge. */
export function walkthroughSubscriptions() {
  return [
    { channel: `${DEMO_DATABASE}:${SENSOR_TABLE}`, subscribe: true, publish: false },
    { channel: `${DEMO_DATABASE}:${CONFIG_TABLE}`, subscribe: false, publish: true },
  ];
}
