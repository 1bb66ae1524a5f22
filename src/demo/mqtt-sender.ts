/**
 * Sends the demo fleet's readings to the edge over MQTT, the way sensor gateways do: each
 * reading is a retained QoS 1 publish to `{database}/{table}/{id}` on one of a few connections;
 * a batch counts as written once every PUBACK arrived (the edge sends it after the commit).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { SensorRow } from './fleet.js';

export interface MqttSenderOptions {
  url: string;
  username: string;
  password: string;
  database: string;
  table: string;
  /** Connections (one per simulated gateway). */
  connections?: number;
}

export class MqttSender {
  readonly #opts: MqttSenderOptions;
  readonly #clients: MqttClient[];
  #next = 0;

  private constructor(opts: MqttSenderOptions, clients: MqttClient[]) {
    this.#opts = opts;
    this.#clients = clients;
  }

  static async connect(opts: MqttSenderOptions): Promise<MqttSender> {
    const n = opts.connections ?? 4;
    const clients = await Promise.all(Array.from({ length: n }, (_, i) => mqtt.connectAsync(opts.url, {
      username: opts.username, password: opts.password, clientId: `demo-gateway-${i + 1}`, reconnectPeriod: 500, connectTimeout: 10_000,
    })));
    return new MqttSender(opts, clients);
  }

  /** Publishes the rows; resolves when all are acknowledged, rejects on the first failure. */
  send(rows: SensorRow[]): Promise<void> {
    const { database, table } = this.#opts;
    return new Promise((resolve, reject) => {
      let left = rows.length;
      if (left === 0) return resolve();
      let failed = false;
      for (const row of rows) {
        const client = this.#clients[this.#next++ % this.#clients.length]!;
        client.publish(`${database}/${table}/${row.id}`, JSON.stringify(row), { qos: 1, retain: true }, (err) => {
          if (failed) return;
          if (err) { failed = true; return reject(err); }
          if (--left === 0) resolve();
        });
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.endAsync(true)));
  }
}
