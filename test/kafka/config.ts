// server.properties for one node of a combined-mode (broker+controller) KRaft cluster on loopback,
// tuned so that group, transaction and share-group tests run fast.
import { HarnessError } from './errors.js';
import { majorMinor } from './jars.js';
import type { ListenerName, ListenerPorts, SaslUser } from './types.js';

export type ConfigValue = string | number | boolean;

export interface NodeLayout {
  nodeId: number;
  listeners: ListenerPorts;
  controllerPort: number;
}

export interface NodeConfigInput {
  version: string;
  mode: 'test' | 'bench';
  node: NodeLayout;
  all: NodeLayout[];
  logDir: string;
  listeners: ListenerName[];
  ssl?: { keystoreFile: string; caFile: string };
  users: SaslUser[];
  acls: boolean;
  overrides: Record<string, ConfigValue>;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export function validateUsers(users: SaslUser[]): void {
  for (const u of users) {
    // They end up inside JAAS strings and StorageTool's --add-scram syntax, which have no escaping.
    if (!SAFE.test(u.username) || !SAFE.test(u.password)) {
      throw new HarnessError(`SASL user names and passwords may only use [A-Za-z0-9._-]: ${u.username}`);
    }
  }
}

export function nodeConfig(c: NodeConfigInput): Record<string, ConfigValue> {
  const [major] = majorMinor(c.version);
  const n = c.all.length;
  const rf = n >= 3 ? 3 : 1;
  const minIsr = n >= 3 ? 2 : 1;
  const addr = (l: string, port: number) => `${l}://127.0.0.1:${port}`;
  const client = c.listeners.map((l) => addr(l, c.node.listeners[l]!));
  const cfg: Record<string, ConfigValue> = {
    'process.roles': 'broker,controller',
    'node.id': c.node.nodeId,
    'controller.quorum.voters': c.all.map((x) => `${x.nodeId}@127.0.0.1:${x.controllerPort}`).join(','),
    listeners: [...client, addr('CONTROLLER', c.node.controllerPort)].join(','),
    // CONTROLLER stays out: KafkaConfig falls back to `listeners` for the controller's advertised address.
    'advertised.listeners': client.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'log.dirs': c.logDir,
    'num.partitions': 1,
    'auto.create.topics.enable': true,
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    // Internal topics default to 50 partitions each; creating those makes the first group/txn call slow.
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 3,
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 1000,
    // KIP-848 defaults are 5 s heartbeats and 45 s sessions. The coordinator requires
    // min ≤ heartbeat ≤ max, min ≤ session ≤ max, and heartbeat < session.
    'group.consumer.min.heartbeat.interval.ms': 500,
    'group.consumer.heartbeat.interval.ms': 1000,
    'group.consumer.min.session.timeout.ms': 3000,
    'group.consumer.session.timeout.ms': 10000,
  };
  if (major >= 4) {
    // Share groups (KIP-932): on by default from the 4.2 metadata version on (share.version ≥ 1).
    Object.assign(cfg, {
      'share.coordinator.state.topic.replication.factor': rf,
      'share.coordinator.state.topic.min.isr': minIsr,
      'share.coordinator.state.topic.num.partitions': 3,
      'group.share.min.heartbeat.interval.ms': 500,
      'group.share.heartbeat.interval.ms': 1000,
      'group.share.min.session.timeout.ms': 3000,
      'group.share.session.timeout.ms': 10000,
      // Lets share-group tests set a short per-group share.record.lock.duration.ms (the default floor
      // is 15 s). Only a lower bound: groups without the per-group config keep the 30 s default.
      'group.share.min.record.lock.duration.ms': 1000,
    });
  } else {
    // 3.9: KIP-848 is early access and off unless listed here.
    cfg['group.coordinator.rebalance.protocols'] = 'classic,consumer';
  }
  if (c.mode === 'test') {
    Object.assign(cfg, {
      'num.network.threads': 2,
      'num.io.threads': 4,
      'num.recovery.threads.per.data.dir': 1,
      // The cleaner allocates this on heap at start (default 128 MiB), too much for the small test heaps.
      'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
      // Tests write records stamped in the past (1970, 2023: fixed timestamps make assertions exact),
      // which time-based retention (7 days by default) may delete whenever its check runs, every 5
      // minutes by default: a reader then finds the log start at its end and reads nothing. The
      // previous stop's empty Java read (java-consumer.test.ts, 2023 timestamps) and a kafkajs admin
      // test's moved offsets are this. No test relies on time-based deletion, so the suite's brokers
      // never check: retention configs still read as their defaults.
      'log.retention.check.interval.ms': 24 * 60 * 60 * 1000,
    });
  }
  if (n >= 3) {
    // A SIGKILLed broker keeps its leaderships until its session expires (default 9 s).
    cfg['broker.heartbeat.interval.ms'] = 500;
    cfg['broker.session.timeout.ms'] = 3000;
  }
  const sasl = c.listeners.filter((l) => l === 'SASL_PLAINTEXT' || l === 'SASL_SSL');
  if (sasl.length > 0) {
    cfg['sasl.enabled.mechanisms'] = 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512';
    const plainUsers = c.users.map((u) => `user_${u.username}="${u.password}"`).join(' ');
    for (const l of sasl) {
      const p = `listener.name.${l.toLowerCase()}`;
      cfg[`${p}.plain.sasl.jaas.config`] =
        `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`;
      // SCRAM credentials live in the metadata log (added at format time, see scramFormatArgs).
      for (const m of ['scram-sha-256', 'scram-sha-512']) {
        cfg[`${p}.${m}.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
      }
    }
  }
  if (c.ssl) {
    Object.assign(cfg, {
      // PEM keystore: an unencrypted key plus certificate, and no keystore password (Kafka rejects one).
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': c.ssl.keystoreFile,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': c.ssl.caFile,
      // Client certificates are optional on SSL (mutual-TLS tests present one); the principal is the CN.
      'listener.name.ssl.ssl.client.auth': 'requested',
      'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+).*$/$1/,DEFAULT',
    });
  }
  if (c.acls) {
    // The CONTROLLER and inter-broker listeners are PLAINTEXT, i.e. User:ANONYMOUS; they must be super users.
    cfg['authorizer.class.name'] = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
    cfg['super.users'] = ['User:ANONYMOUS', ...c.users.slice(0, 1).map((u) => `User:${u.username}`)].join(';');
  }
  return { ...cfg, ...c.overrides };
}

/** StorageTool `--add-scram` arguments: every user gets SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
export function scramFormatArgs(users: SaslUser[]): string[] {
  return users.flatMap((u) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
      '--add-scram',
      `${m}=[name=${u.username},password=${u.password}]`,
    ]),
  );
}

export function toProperties(cfg: Record<string, ConfigValue>): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `${Object.entries(cfg)
    .map(([k, v]) => `${esc(k).replace(/[=:\s]/g, (ch) => `\\${ch}`)}=${esc(String(v))}`)
    .join('\n')}\n`;
}

/**
 * StorageTool `--feature` arguments. 4.2+ finalizes share.version ≥ 1 by default; 4.1 ships share groups
 * as a preview that is off unless the feature is set at format time. (4.0 has no share.version feature.)
 */
export function formatFeatureArgs(version: string): string[] {
  const [major, minor] = majorMinor(version);
  return major === 4 && minor === 1 ? ['--feature', 'share.version=1'] : [];
}
