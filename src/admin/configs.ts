import type { Cluster } from '../cluster/cluster.js';
import { ConfigError } from '../errors.js';
import type { Connection } from '../network/connection.js';
import { kafkaError } from '../protocol/errors.js';
import { DescribeConfigs } from '../protocol/generated/describe-configs.js';
import { IncrementalAlterConfigs } from '../protocol/generated/incremental-alter-configs.js';
import { type CallOptions, finalUnknownTopic, type ItemAnswers, perItem } from './per-item.js';
import { controllerConnection } from './topics.js';
import type { AlterConfigsInput, ConfigEntry, ConfigResource, ConfigResourceType, ResourceConfigs } from './types.js';

/** ConfigResource.Type ids. */
const RESOURCE_TYPES: Record<ConfigResourceType, number> = {
  topic: 2,
  broker: 4,
  'broker-logger': 8,
  'client-metrics': 16,
  group: 32,
};

/** DescribeConfigsResponse ConfigSource ids → the Java admin's ConfigEntry.ConfigSource names. */
const SOURCES = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'DYNAMIC_CLIENT_METRICS_CONFIG',
  'DYNAMIC_GROUP_CONFIG',
];

export function configSourceName(id: number): string {
  return SOURCES[id] ?? 'UNKNOWN';
}

const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

function typeId(type: ConfigResourceType, what: string): number {
  const id = RESOURCE_TYPES[type];
  if (id === undefined)
    throw new ConfigError(what, `expected one of ${Object.keys(RESOURCE_TYPES).join(', ')}, got ${type}`);
  return id;
}

const key = (type: ConfigResourceType, name: string) => `${type}:${name}`;

/** Broker resources must go to that broker; everything else to any broker. */
async function connectionFor(cluster: Cluster, type: ConfigResourceType, name: string, signal?: AbortSignal) {
  if ((type === 'broker' || type === 'broker-logger') && name !== '') {
    await cluster.connect({ signal });
    return cluster.connectionTo(Number(name), 'general', signal);
  }
  return controllerConnection(cluster, signal);
}

/** Groups resources by the connection they must use (one request per broker resource, one for the rest). */
function route<T extends { type: ConfigResourceType; name: string }>(list: T[]): T[][] {
  const shared: T[] = [];
  const own: T[][] = [];
  for (const r of list) {
    if ((r.type === 'broker' || r.type === 'broker-logger') && r.name !== '') own.push([r]);
    else shared.push(r);
  }
  return shared.length ? [shared, ...own] : own;
}

export async function describeConfigs(
  cluster: Cluster,
  resources: readonly ConfigResource[],
  opts: CallOptions,
): Promise<ResourceConfigs[]> {
  const byKey = new Map<string, ConfigResource>();
  for (const [i, r] of resources.entries()) {
    typeId(r.type, `resources[${i}].type`);
    byKey.set(key(r.type, r.name), r);
  }
  const results = await perItem<ResourceConfigs>(
    cluster,
    'DescribeConfigs',
    [...byKey.keys()],
    async (pending, signal) => {
      const answers: ItemAnswers<ResourceConfigs> = new Map();
      for (const group of route(pending.map((k) => byKey.get(k)!))) {
        const conn: Connection = await connectionFor(cluster, group[0]!.type, group[0]!.name, signal);
        const res = await conn.request(
          DescribeConfigs,
          {
            resources: group.map((r) => ({
              resourceType: RESOURCE_TYPES[r.type],
              resourceName: r.name,
              configurationKeys: r.names ?? null,
            })),
          },
          { signal },
        );
        for (const r of res.results) {
          const type = group.find((g) => RESOURCE_TYPES[g.type] === r.resourceType)?.type ?? group[0]!.type;
          const k = key(type, r.resourceName);
          if (r.errorCode) {
            answers.set(
              k,
              finalUnknownTopic(
                kafkaError(r.errorCode, {
                  api: 'DescribeConfigs',
                  ...(type === 'topic' ? { topic: r.resourceName } : {}),
                  serverMessage: r.errorMessage ?? `${type} ${r.resourceName}`,
                  broker: conn.broker,
                }),
              ),
            );
            continue;
          }
          const configs: Record<string, ConfigEntry> = {};
          for (const c of r.configs) {
            configs[c.name] = {
              name: c.name,
              value: c.value,
              readOnly: c.readOnly,
              source: configSourceName(c.configSource),
              sensitive: c.isSensitive,
            };
          }
          answers.set(k, { type, name: r.resourceName, configs });
        }
      }
      return answers;
    },
    opts,
  );
  return resources.map((r) => results.get(key(r.type, r.name))!);
}

/** IncrementalAlterConfigs (KIP-339): only the named configs change. */
export async function alterConfigs(
  cluster: Cluster,
  inputs: readonly AlterConfigsInput[],
  opts: CallOptions & { validateOnly?: boolean },
): Promise<void> {
  const byKey = new Map<string, AlterConfigsInput>();
  for (const [i, r] of inputs.entries()) {
    typeId(r.type, `resources[${i}].type`);
    for (const [j, c] of (r.changes ?? []).entries()) {
      const op = c.op ?? 'set';
      if (!(op in OPS))
        throw new ConfigError(
          `resources[${i}].changes[${j}].op`,
          `expected set, delete, append or subtract, got ${op}`,
        );
      if (op !== 'delete' && (c.value === undefined || c.value === null)) {
        throw new ConfigError(`resources[${i}].changes[${j}].value`, `is required for ${op}`);
      }
    }
    byKey.set(key(r.type, r.name), r);
  }
  await perItem<true>(
    cluster,
    'IncrementalAlterConfigs',
    [...byKey.keys()],
    async (pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      for (const group of route(pending.map((k) => byKey.get(k)!))) {
        const conn = await connectionFor(cluster, group[0]!.type, group[0]!.name, signal);
        const res = await conn.request(
          IncrementalAlterConfigs,
          {
            resources: group.map((r) => ({
              resourceType: RESOURCE_TYPES[r.type],
              resourceName: r.name,
              configs: r.changes.map((c) => ({
                name: c.name,
                configOperation: OPS[c.op ?? 'set'],
                value: c.value === undefined || c.value === null ? null : String(c.value),
              })),
            })),
            validateOnly: opts.validateOnly ?? false,
          },
          { signal },
        );
        for (const r of res.responses) {
          const type = group.find((g) => RESOURCE_TYPES[g.type] === r.resourceType)?.type ?? group[0]!.type;
          answers.set(
            key(type, r.resourceName),
            r.errorCode
              ? finalUnknownTopic(
                  kafkaError(r.errorCode, {
                    api: 'IncrementalAlterConfigs',
                    ...(type === 'topic' ? { topic: r.resourceName } : {}),
                    serverMessage: r.errorMessage ?? `${type} ${r.resourceName}`,
                    broker: conn.broker,
                  }),
                )
              : true,
          );
        }
      }
      return answers;
    },
    opts,
  );
}
