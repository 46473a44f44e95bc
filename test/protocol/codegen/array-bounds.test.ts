/**
 * Generated array reads bound the count by the bytes left and the element's least encoded size. A
 * schema whose elements can take no bytes at all in some version would make that bound refuse honest
 * frames, so codegen refuses to emit it rather than emit a reader that fails on valid data.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dataFile } from '../../../tools/codegen/files.js';
import { parseMessage } from '../../../tools/codegen/schema.js';

function schema(elementFields: unknown[]): string {
  return JSON.stringify({
    name: 'ArrayBoundsData',
    type: 'data',
    validVersions: '0-1',
    flexibleVersions: 'none',
    fields: [{ name: 'Items', type: '[]Item', versions: '0+', fields: elementFields }],
  });
}

it('emits the least element size as the count bound', () => {
  const m = parseMessage(
    'ArrayBoundsData.json',
    schema([
      { name: 'Id', type: 'int32', versions: '0+' },
      { name: 'Name', type: 'string', versions: '0+' },
    ]),
  );
  assert.match(dataFile('test', m).text, /r\.arrayLength\(6\)/);
});

it('refuses elements that can encode in 0 bytes', () => {
  // In version 0 the element has no fields: an array of them is all count and no bytes.
  const m = parseMessage('ArrayBoundsData.json', schema([{ name: 'Id', type: 'int32', versions: '1+' }]));
  assert.throws(() => dataFile('test', m), /ArrayBoundsData.items: an element can take 0 bytes in version 0/);
});
