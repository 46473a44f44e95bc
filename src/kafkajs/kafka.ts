// `new Kafka(config)`: KafkaJS's entry point. Makes producers, consumers and admins that behave as
// KafkaJS's do, backed by Sluice's clients.
import { ConfigError } from '../errors.js';
import { type AdminConfig, KafkaJSAdmin } from './admin.js';
import type { KafkaConfig } from './config.js';
import { type ConsumerConfig, KafkaJSConsumer } from './consumer.js';
import { type FacadeContext, facadeContext } from './context.js';
import { createLogger, type KafkaJSLogger, logLevel } from './logger.js';
import { KafkaJSProducer, type ProducerConfig } from './producer.js';

export class Kafka {
  readonly #ctx: FacadeContext;

  constructor(config: KafkaConfig) {
    if (typeof config !== 'object' || config === null) throw new ConfigError('config', 'expected an object');
    if (config.brokers === undefined)
      throw new ConfigError('brokers', 'required: a list of host:port, or a function returning one');
    const logger = createLogger(config.logLevel ?? logLevel.INFO, config.logCreator);
    this.#ctx = facadeContext(config, logger.namespace('Kafka'));
    this.#root = logger;
  }

  readonly #root: KafkaJSLogger;

  producer(config: ProducerConfig = {}): KafkaJSProducer {
    return new KafkaJSProducer(this.#ctx, config);
  }

  consumer(config: ConsumerConfig): KafkaJSConsumer {
    return new KafkaJSConsumer(this.#ctx, config);
  }

  admin(config: AdminConfig = {}): KafkaJSAdmin {
    return new KafkaJSAdmin(this.#ctx, config);
  }

  logger(): KafkaJSLogger {
    return this.#root;
  }
}
