/**
 * The replication protocol's messages: a discriminated union of frames plus the protocol
 * version carried in the upgrade request. Wire names stay short; see docs/protocol.md.
 */
import type { ChangeEntry, PrimaryKey } from '../../changelog/entry.js';

/** Bumped on any incompatible change of the frame layout or message semantics. */
export const PROTOCOL_VERSION = 1;
/** Upgrade-request headers. */
export const PROTOCOL_HEADER = 'x-ferrydb-protocol';
export const NODE_HEADER = 'x-ferrydb-node';
/** Path of the replication endpoint on the clustering port. */
export const REPLICATION_PATH = '/ferrydb/replication';
/** Largest frame accepted (a batch is bounded by batch.maxBytes before compression). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export const FRAME_TYPES = {
  HELLO: 1,
  WELCOME: 2,
  SUB: 3,
  BATCH: 4,
  ACK: 5,
  NOTICE: 6,
  MANIFEST: 7,
} as const;

export type FrameType = (typeof FRAME_TYPES)[keyof typeof FRAME_TYPES];

/** One table subscription as seen from the side that sends it. */
export interface WireSubscription {
  db: string;
  table: string;
  /** The sender of HELLO publishes its changes of this table. */
  pub: boolean;
  /** The sender of HELLO applies the peer's changes of this table. */
  sub: boolean;
  /** Only rows updated at or after this epoch-ms time in the initial sync. */
  since?: number;
}

/** Dialler -> acceptor, first frame: who I am and what I want. */
export interface HelloMessage {
  type: typeof FRAME_TYPES.HELLO;
  node: string;
  subs: WireSubscription[];
  /** When the dialler's node record was added (epoch ms): a re-add after a removal by the acceptor. */
  added?: number;
  /** The dialler's tables as `database:table` (shown to the acceptor's users to pick channels). */
  tables?: string[];
  /** The dialler's change-log identity (changes only when its data directory started over). */
  log?: string;
}

/**
 * Acceptor -> dialler: the acceptor edited the link (add_node / update_node on the dialled
 * side): `subs` is the new list in the dialler's view; the dialler stores it and reconnects
 * with it. `removed`: the acceptor ran remove_node; the dialler stops.
 */
export interface ManifestMessage {
  type: typeof FRAME_TYPES.MANIFEST;
  subs: WireSubscription[];
  removed?: boolean;
}

/** Acceptor -> dialler: handshake accepted. */
export interface WelcomeMessage {
  type: typeof FRAME_TYPES.WELCOME;
  node: string;
  /** The acceptor's tables as `database:table`. */
  tables?: string[];
  /** The acceptor's change-log identity. */
  log?: string;
}

/**
 * Receiver -> sender: stream this table to me, after my durable cursor (`after`, a seq of
 * the sender's log). `after: null` asks for an initial sync; `resume` continues an
 * interrupted initial sync after that primary key (at log position `after`).
 */
export interface SubMessage {
  type: typeof FRAME_TYPES.SUB;
  db: string;
  table: string;
  after: number | null;
  resume?: PrimaryKey | null;
  since?: number;
}

/** Initial-sync (snapshot) progress carried by a batch. */
export interface SnapshotInfo {
  /** Log position recorded before the scan; the live stream continues after it. */
  at: number;
  /** Last primary key sent so far (resume point). */
  lastKey: PrimaryKey | null;
  /** True on the last snapshot batch. */
  done: boolean;
}

/** Sender -> receiver: a run of change-log entries of one table. */
export interface BatchMessage {
  type: typeof FRAME_TYPES.BATCH;
  db: string;
  table: string;
  /** Primary key attribute of the table (to create it on the receiver). */
  hash: string;
  /** Batch number within this stream (acks echo it). */
  id: number;
  /** Sender log position covered through this batch (the receiver's new cursor). */
  last: number;
  snap?: SnapshotInfo;
  entries: ChangeEntry[];
}

/** Receiver -> sender: batch applied and durable. */
export interface AckMessage {
  type: typeof FRAME_TYPES.ACK;
  db: string;
  table: string;
  id: number;
  last: number;
}

/** Either side: a state change worth showing in cluster_status (e.g. resync_required). */
export interface NoticeMessage {
  type: typeof FRAME_TYPES.NOTICE;
  db: string;
  table: string;
  state: string;
  message: string;
}

export type ControlMessage = HelloMessage | WelcomeMessage | SubMessage | AckMessage | NoticeMessage | ManifestMessage;
export type Message = ControlMessage | BatchMessage;
