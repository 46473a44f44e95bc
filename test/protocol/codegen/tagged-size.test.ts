/** Writer.reserveUvarintSize/patchUvarintSize, which size tagged fields, for one- to three-byte sizes. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

it('back-patches the uvarint size of tagged field content of any length', () => {
  for (const n of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
    const w = new Writer(4);
    w.int8(7);
    const mark = w.reserveUvarintSize();
    const content = Buffer.alloc(n, 0xab);
    if (n > 0) content[n - 1] = 0xcd;
    w.raw(content);
    w.patchUvarintSize(mark);
    w.int8(9);
    const r = new Reader(Buffer.from(w.view()));
    assert.equal(r.int8(), 7);
    assert.equal(r.uvarint(), n);
    assert.ok(r.buf.subarray(r.pos, r.pos + n).equals(content), `content of ${n} bytes`);
    r.skip(n);
    assert.equal(r.int8(), 9);
    assert.equal(r.remaining, 0);
    r.check('sized field');
  }
});
