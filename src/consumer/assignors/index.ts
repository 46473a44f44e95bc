import { cooperativeStickyAssignor } from './cooperative-sticky.js';
import { rangeAssignor } from './range.js';
import { roundRobinAssignor } from './round-robin.js';
import type { Assignor } from './types.js';

export { cooperativeStickyAssignor } from './cooperative-sticky.js';
export { rangeAssignor } from './range.js';
export { roundRobinAssignor } from './round-robin.js';
export type {
  AssignmentContext,
  Assignor,
  GroupAssignment,
  MemberSubscription,
  SyncAssignor,
  TopicPartitions,
} from './types.js';

/** The built-in assignors by wire name. */
export const builtInAssignors: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};
