import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  crc32c,
  crc32cImplementation,
  crc32cJs,
  useCrc32cImplementation,
} from '../../../src/protocol/records/crc32c.js';

// RFC 3720 (iSCSI) appendix B.4 vectors, plus the classic check value.
const vectors: Array<[Buffer, number]> = [
  [Buffer.from('123456789'), 0xe3069283],
  [Buffer.alloc(32, 0), 0x8a9136aa],
  [Buffer.alloc(32, 0xff), 0x62a8ab43],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  [Buffer.alloc(0), 0],
];

describe('CRC-32C', () => {
  for (const impl of ['native', 'js'] as const) {
    it(`${impl}: known vectors`, () => {
      useCrc32cImplementation(impl);
      try {
        for (const [data, expected] of vectors) assert.equal(crc32c(data), expected, data.toString('hex'));
      } finally {
        useCrc32cImplementation('native');
      }
    });
  }

  it('the native module loads here (an optional dependency with prebuilt binaries)', {
    skip: process.env.SLUICE_CRC32C === 'js',
  }, () => {
    assert.equal(crc32cImplementation(), 'native');
  });

  it('native and JS agree on random buffers, ranges and continuation', () => {
    for (let i = 0; i < 300; i++) {
      const data = randomBytes(i < 200 ? i : 1000 + i * 97);
      const start = data.length > 10 ? i % 7 : 0;
      const end = data.length - (data.length > 10 ? i % 5 : 0);
      const js = crc32cJs(data, start, end);
      assert.equal(crc32c(data, start, end), js);
      const mid = (start + end) >> 1;
      assert.equal(crc32c(data, mid, end, crc32c(data, start, mid)), js);
      assert.equal(crc32cJs(data, mid, end, crc32cJs(data, start, mid)), js);
    }
  });

  it('SLUICE_CRC32C=js forces the fallback', () => {
    const url = new URL('../../../src/protocol/records/crc32c.ts', import.meta.url).href;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import * as c from '${url}'; console.log(c.crc32cImplementation(), c.crc32c(Buffer.from('123456789')).toString(16));`,
      ],
      {
        env: { ...process.env, SLUICE_CRC32C: 'js' },
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
        encoding: 'utf8',
      },
    );
    assert.equal(out.trim(), 'js e3069283');
  });
});
