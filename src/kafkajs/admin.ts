// PLACEHOLDER — replaced by the admin facade.
import type { FacadeContext } from './context.js';
export interface AdminConfig {
  retry?: unknown;
}
export class KafkaJSAdmin {
  constructor(
    readonly ctx: FacadeContext,
    readonly config: AdminConfig,
  ) {}
}
