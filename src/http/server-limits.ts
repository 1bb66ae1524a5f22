/** The timeouts and the malformed-request answer every HTTP server of the node shares (operations port, HTTP port). */
import type { Server } from 'node:http';

/**
 * Idle keep-alive connections close after `keepAliveTimeout` ms and headers must arrive within 5 s more; a request
 * body may take as long as it needs (bodies are bounded by size instead). A request that is not valid HTTP gets a
 * JSON 400 and the connection is closed.
 */
export function applyServerLimits(server: Server, keepAliveTimeout: number): void {
  server.keepAliveTimeout = keepAliveTimeout;
  server.headersTimeout = keepAliveTimeout + 5000;
  server.requestTimeout = 0;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"Bad Request"}');
    else socket.destroy();
  });
}
