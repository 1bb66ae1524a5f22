/** Which local address the dialler connects from (pure). */
import { isIP } from 'node:net';

const isLoopback = (h: string) => /^127\./.test(h) || h === '::1';

/**
 * Dial from the node's own clustering address when it listens on one specific IP, so the peer
 * sees the address this node is reachable on (4.x finds peers by it). Not when this node
 * listens on loopback only and dials a remote peer (an edge node behind NAT dials out).
 */
export function sourceAddress(ownHost: string, target: string): { localAddress?: string } {
  if (!isIP(ownHost) || ownHost === '0.0.0.0' || ownHost === '::') return {};
  // Only toward an address of the same family (a host name may resolve to either).
  if (isIP(target) !== isIP(ownHost)) return {};
  if (isLoopback(ownHost) && !isLoopback(target)) return {};
  return { localAddress: ownHost };
}
