// Plain data describing a running broker or cluster. KafkaInfo is what travels to test files in the
// SLUICE_TEST_KAFKA environment variable, so it must stay JSON-serialisable.

export const LISTENERS = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
export type ListenerName = (typeof LISTENERS)[number];

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Port per listener; PLAINTEXT is always present. */
export type ListenerPorts = { PLAINTEXT: number } & Partial<Record<ListenerName, number>>;

export interface BrokerInfo {
  nodeId: number;
  host: string;
  /** The PLAINTEXT port. */
  port: number;
  listeners: ListenerPorts;
}

export interface SaslUser {
  username: string;
  password: string;
}

export interface TlsFiles {
  /** PEM of the test CA that signed the broker certificate (SAN IP:127.0.0.1, DNS:localhost). */
  caPem: string;
  caFile: string;
  /** A client certificate (CN=client) signed by the same CA, for mutual-TLS tests on the SSL listener. */
  clientCertFile: string;
  clientKeyFile: string;
}

export interface KafkaInfo {
  version: string;
  /** PLAINTEXT bootstrap list, "127.0.0.1:p1,127.0.0.1:p2,…". */
  bootstrap: string;
  /** Bootstrap list per enabled listener. */
  bootstraps: { PLAINTEXT: string } & Partial<Record<ListenerName, string>>;
  brokers: BrokerInfo[];
  dataDir: string;
  /** Same as tls.caPem; present when an SSL or SASL_SSL listener is enabled. */
  caPem?: string;
  tls?: TlsFiles;
  /** SASL users; each works with every mechanism in saslMechanisms. Present when a SASL listener is enabled. */
  users?: SaslUser[];
  saslMechanisms?: SaslMechanism[];
}
