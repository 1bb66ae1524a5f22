/**
 * The HTTP port (9926): a node:http server that routes GET /metrics, REST requests and
 * WebSocket upgrades (sub-protocol `mqtt` to the broker, anything else to real-time
 * subscriptions) to handlers given by the composition root. No REST or MQTT logic here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { applyServerLimits } from './server-limits.js';
import { createUpgradeAcceptor, offersMqtt, type WebSocket } from './websocket-upgrade.js';

export interface HttpPortHandlers {
  /** REST requests (everything that is not /metrics). */
  rest(req: IncomingMessage, res: ServerResponse): void;
  /** GET /metrics; absent when metrics are off (then /metrics is a REST path like any other). */
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** An MQTT-over-WebSocket connection; absent when mqtt.webSocket is off. */
  mqtt?: (ws: WebSocket, req: IncomingMessage) => void;
  /** Checks a subscription upgrade before it is accepted (answers the error itself and returns null). */
  prepareSubscription(req: IncomingMessage, socket: Duplex): Promise<unknown | null>;
  /** A WebSocket subscription accepted after prepareSubscription. */
  subscription(ws: WebSocket, prepared: unknown): void;
}

export interface HttpPortOptions {
  handlers: HttpPortHandlers;
  keepAliveTimeout: number;
  maxWebSocketPayloadBytes: number;
}

export interface HttpPort {
  server: Server;
  /** Closes WebSockets and connections; the caller closes the server. */
  closeConnections(): void;
}

export function createHttpPort(opts: HttpPortOptions): HttpPort {
  const { handlers } = opts;
  const upgrades = createUpgradeAcceptor(opts.maxWebSocketPayloadBytes);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (handlers.metrics && (url === '/metrics' || url.startsWith('/metrics?')) && (req.method === 'GET' || req.method === 'HEAD')) return handlers.metrics(req, res);
    handlers.rest(req, res);
  });
  applyServerLimits(server, opts.keepAliveTimeout);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (offersMqtt(req)) {
      if (!handlers.mqtt) {
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"MQTT over WebSocket is disabled"}');
        return;
      }
      const mqtt = handlers.mqtt;
      upgrades.accept(req, socket, head, (ws) => mqtt(ws, req));
      return;
    }
    handlers.prepareSubscription(req, socket).then((prepared) => {
      if (prepared === null || socket.destroyed) return;
      upgrades.accept(req, socket, head, (ws) => handlers.subscription(ws, prepared));
    }, () => socket.destroy());
  });
  return {
    server,
    closeConnections() {
      upgrades.close();
      server.closeAllConnections();
    },
  };
}
