import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticationError } from '../../src/network/errors.js';
import { scramMechanism } from '../../src/network/sasl/scram.js';

// RFC 7677 §3 test vector (SCRAM-SHA-256, user "user", password "pencil").
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

test('SCRAM-SHA-256 matches the RFC 7677 test vector and verifies the server signature', async () => {
  const m = scramMechanism({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' }, NONCE);
  assert.equal((await m.first()).toString(), `n,,n=user,r=${NONCE}`);
  const final = await m.next(Buffer.from(SERVER_FIRST));
  assert.equal(
    final?.toString(),
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  );
  assert.equal(await m.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), undefined);
});

test('SCRAM rejects a wrong server signature, a foreign nonce and too few iterations', async () => {
  const m = scramMechanism({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' }, NONCE);
  await m.first();
  await m.next(Buffer.from(SERVER_FIRST));
  await assert.rejects(async () => m.next(Buffer.from('v=AAAA')), AuthenticationError);

  const m2 = scramMechanism({ mechanism: 'SCRAM-SHA-512', username: 'user', password: 'pencil' }, NONCE);
  await m2.first();
  await assert.rejects(async () => m2.next(Buffer.from('r=other,s=AAAA,i=4096')), /malformed server-first/);

  const m3 = scramMechanism({ mechanism: 'SCRAM-SHA-512', username: 'user', password: 'pencil' }, NONCE);
  await m3.first();
  await assert.rejects(async () => m3.next(Buffer.from(`r=${NONCE}x,s=AAAA,i=100`)), /100 iterations/);
});

test('SCRAM refuses iteration counts above what Kafka stores (16384), at once', async () => {
  const m = scramMechanism({ mechanism: 'SCRAM-SHA-512', username: 'user', password: 'pencil' }, NONCE);
  await m.first();
  const t0 = performance.now();
  await assert.rejects(
    async () => m.next(Buffer.from(`r=${NONCE}x,s=AAAA,i=20000000`)),
    (err: unknown) => err instanceof AuthenticationError && /20000000 iterations/.test(err.message),
  );
  // Before the cap, deriving the key took 16 s of CPU.
  assert.ok(performance.now() - t0 < 1000);
  const ok = scramMechanism({ mechanism: 'SCRAM-SHA-512', username: 'user', password: 'pencil' }, NONCE);
  await ok.first();
  assert.ok(await ok.next(Buffer.from(`r=${NONCE}x,s=AAAA,i=16384`)));
});

test('user names with "," and "=" are escaped', async () => {
  const m = scramMechanism({ mechanism: 'SCRAM-SHA-256', username: 'a,b=c', password: 'p' }, NONCE);
  assert.equal((await m.first()).toString(), `n,,n=a=2Cb=3Dc,r=${NONCE}`);
});
