// Every default handler, by API name. The APIs listed here (plus any a test adds with `on`/`raw`) are the
// ones the fake advertises in ApiVersions.
import { clusterHandlers } from './cluster-handlers.js';
import type { DefaultHandlers } from './common.js';
import { groupHandlers } from './group-handlers.js';
import { logHandlers } from './log-handlers.js';

export const defaultHandlers: DefaultHandlers = { ...clusterHandlers, ...logHandlers, ...groupHandlers };
