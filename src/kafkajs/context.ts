// What every client made by one `new Kafka(…)` shares: its config, its logger, and the Sluice
// client options the config maps to (brokers resolved on connect, as KafkaJS does).
import type { ClientOptions } from '../cluster/options.js';
import { brokersOf, clientOptionsOf, type KafkaConfig } from './config.js';
import type { KafkaJSLogger } from './logger.js';

export interface FacadeContext {
  readonly config: KafkaConfig;
  readonly logger: KafkaJSLogger;
  /** Sluice options for a new client; calls a `brokers` function each time. */
  clientOptions(): Promise<ClientOptions>;
}

export function facadeContext(config: KafkaConfig, logger: KafkaJSLogger): FacadeContext {
  return {
    config,
    logger,
    clientOptions: async () => clientOptionsOf(config, await brokersOf(config.brokers), logger),
  };
}
