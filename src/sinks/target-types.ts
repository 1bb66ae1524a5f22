/**
 * Target types by the name used in sink definitions. A new engine adds one line here and one
 * module implementing SinkTarget; nothing else in the sink changes.
 */
import type { SinkType } from '../config/sink-settings.js';
import { createPostgresTarget } from './postgres/postgres-target.js';
import type { TargetFactory } from './target.js';

export const TARGET_TYPES: Record<SinkType, TargetFactory> = {
  postgresql: createPostgresTarget,
};
