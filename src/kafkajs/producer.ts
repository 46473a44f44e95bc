// PLACEHOLDER — replaced by the producer facade.
import type { FacadeContext } from './context.js';
export interface ProducerConfig {
  idempotent?: boolean;
}
export class KafkaJSProducer {
  constructor(
    readonly ctx: FacadeContext,
    readonly config: ProducerConfig,
  ) {}
}
