// Value decoding and map rows, without a broker: what each `value` option gives, and the errors that
// send a record to the onError policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { checkDecoder, decodeValue, toSinkRecord } from '../../src/sinks/decode.js';
import { rec } from './fixtures/records.js';

test('value decoders: utf8 (strict), json, bytes, a function; tombstones stay null', () => {
  const r = rec('t', 0, 5, 'k', '{"a":1}');
  assert.equal(decodeValue('utf8', r), '{"a":1}');
  assert.deepEqual(decodeValue('json', r), { a: 1 });
  const bytes = decodeValue('bytes', r) as Buffer;
  assert.ok(Buffer.isBuffer(bytes) && bytes.toString() === '{"a":1}');
  r.value![0] = 0x5b; // the fetch buffer is reused later: the decoded bytes are a copy
  assert.equal(bytes.toString(), '{"a":1}');
  assert.equal(
    decodeValue((v, rr) => `${rr.offset}:${v.length}`, r),
    '5:7',
  );
  r.value![0] = 0x7b;
  assert.equal(decodeValue('json', rec('t', 0, 6, 'k', null)), null);
  const bad = { ...r, value: Buffer.from([0x66, 0xff, 0x6f]) };
  assert.throws(() => decodeValue('utf8', bad), TypeError, 'invalid UTF-8 is an error, not U+FFFD');
  assert.throws(() => decodeValue('json', rec('t', 0, 7, 'k', '{nope')), SyntaxError);
  assert.equal(checkDecoder(undefined), 'utf8');
  assert.throws(() => checkDecoder('yaml'), ConfigError);
});

test('toSinkRecord: upsert needs a key; map rows are checked', () => {
  assert.throws(() => toSinkRecord('upsert', 'utf8', undefined, rec('t', 0, 1, null, 'v')), /needs a key/);
  const ok = toSinkRecord(
    'map',
    'json',
    (r, v) => ({ table: 'orders', row: { id: r.offset, ...(v as object) } }),
    rec('t', 0, 1, null, '{"x":2}'),
  );
  assert.deepEqual(ok.rows, [{ table: 'orders', row: { id: 1, x: 2 } }]);
  assert.deepEqual(toSinkRecord('map', 'utf8', () => null, rec('t', 0, 2, null, 'v')).rows, []);
  assert.throws(
    () => toSinkRecord('map', 'utf8', () => ({ row: { a: 1 } }) as never, rec('t', 0, 3, null, 'v')),
    /table/,
  );
  assert.throws(
    () => toSinkRecord('map', 'utf8', () => ({ table: 'x', row: {} }), rec('t', 0, 4, null, 'v')),
    /without columns/,
  );
});
