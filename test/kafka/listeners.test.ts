import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import tls from 'node:tls';
import { apiVersions, type KafkaInfo, sharedKafka } from './index.js';

function port(kafka: KafkaInfo, listener: 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL'): number {
  const p = kafka.brokers[0]!.listeners[listener];
  assert.ok(p, `the shared broker has a ${listener} listener`);
  return p;
}

test('SASL_PLAINTEXT answers ApiVersions before authentication', async () => {
  const kafka = await sharedKafka();
  const res = await apiVersions('127.0.0.1', port(kafka, 'SASL_PLAINTEXT'), 3);
  assert.equal(res.errorCode, 0);
  assert.ok(res.apiKeys.has(17) && res.apiKeys.has(36), 'SaslHandshake and SaslAuthenticate are offered');
  assert.deepEqual(kafka.saslMechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  assert.ok((kafka.users?.length ?? 0) >= 1);
});

test('SSL verifies against the harness CA (IP SAN 127.0.0.1) and answers ApiVersions', async () => {
  const kafka = await sharedKafka();
  assert.ok(kafka.caPem?.includes('BEGIN CERTIFICATE'));
  const res = await apiVersions('127.0.0.1', port(kafka, 'SSL'), 3, { tls: { ca: kafka.caPem! } });
  assert.equal(res.errorCode, 0);
});

test('SSL without the CA is rejected by certificate verification', async () => {
  const kafka = await sharedKafka();
  const err = await new Promise<Error>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: port(kafka, 'SSL'), ca: [] }, () => {
      socket.destroy();
      reject(new Error('connected without trusting the CA'));
    });
    socket.on('error', resolve);
  });
  assert.match(String((err as NodeJS.ErrnoException).code), /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/);
});

test('SSL accepts a client certificate (mutual TLS) from the harness CA', async () => {
  const { tls: files } = await sharedKafka();
  assert.ok(files);
  const cert = readFileSync(files.clientCertFile, 'utf8');
  const key = readFileSync(files.clientKeyFile, 'utf8');
  const kafka = await sharedKafka();
  const res = await apiVersions('127.0.0.1', port(kafka, 'SSL'), 3, { tls: { ca: files.caPem, cert, key } });
  assert.equal(res.errorCode, 0);
});

test('SASL_SSL answers ApiVersions over TLS before authentication', async () => {
  const kafka = await sharedKafka();
  const res = await apiVersions('127.0.0.1', port(kafka, 'SASL_SSL'), 3, { tls: { ca: kafka.caPem! } });
  assert.equal(res.errorCode, 0);
});
