/**
 * The HTTP port's WebSocket upgrades (the one module outside replication/ that imports ws):
 * accepts an upgrade, choosing the `mqtt` sub-protocol when the client offers it, and turns a
 * socket into a byte stream for the MQTT broker. Knows nothing about REST or MQTT semantics.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { WebSocket, WebSocketServer } from 'ws';

export type { WebSocket } from 'ws';

export interface UpgradeAcceptor {
  /** Completes the upgrade handshake; the callback gets the open socket. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, onOpen: (ws: WebSocket) => void): void;
  close(): void;
}

/** True when the client offers the `mqtt` sub-protocol (MQTT over WebSocket). */
export function offersMqtt(req: IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol'];
  return typeof offered === 'string' && offered.split(',').some((p) => p.trim().toLowerCase() === 'mqtt');
}

/** ws, loaded on the first upgrade (an idle node without WebSocket clients never loads it). */
function wsLibrary(): typeof import('ws') {
  return createRequire(import.meta.url)('ws') as typeof import('ws');
}

export function createUpgradeAcceptor(maxPayloadBytes: number): UpgradeAcceptor {
  let wss: WebSocketServer | null = null;
  const server = () => wss ??= new (wsLibrary().WebSocketServer)({
    noServer: true,
    maxPayload: maxPayloadBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  return {
    accept(req, socket, head, onOpen) {
      server().handleUpgrade(req, socket, head, onOpen);
    },
    close() {
      if (!wss) return;
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/** A byte stream over a WebSocket (binary frames), for the MQTT session. */
export function webSocketStream(ws: WebSocket): Duplex {
  return wsLibrary().createWebSocketStream(ws, { objectMode: false });
}
