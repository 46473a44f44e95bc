// PLACEHOLDER — replaced by the consumer facade.
import type { FacadeContext } from './context.js';
export interface ConsumerConfig {
  groupId: string;
}
export class KafkaJSConsumer {
  constructor(
    readonly ctx: FacadeContext,
    readonly config: ConsumerConfig,
  ) {}
}
