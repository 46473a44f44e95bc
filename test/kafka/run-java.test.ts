// sluice-test-needs: kafka-tools
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runJava, sharedKafka } from './index.js';

test('runJava runs a single-file Java program against Kafka’s jars (murmur2 vectors)', async () => {
  // Expected values are the vectors in Kafka's own UtilsTest.testMurmur2.
  const vectors: Record<string, number> = {
    '21': -973932308,
    foobar: -790332482,
    'a-little-bit-long-string': -985981536,
    'a-little-bit-longer-string': -1486304829,
    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
    abc: 479470107,
  };
  const { stdout } = await runJava({ source: 'test/kafka/java/Murmur2.java', args: Object.keys(vectors) });
  const got = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([key, hash]) => [key, Number(hash)]),
  );
  assert.deepEqual(got, vectors);
});

test('runJava reports a failing program with its exit code and output', async () => {
  await assert.rejects(runJava({ source: 'test/kafka/java/Murmur2.java', jvmArgs: ['-Xmx1k'] }), /exited with/);
});

test('runJava with the kafka-tools classpath: the Java Admin client sees the shared broker', async () => {
  const kafka = await sharedKafka();
  const { stdout } = await runJava({
    source: 'test/kafka/java/DescribeCluster.java',
    args: [kafka.bootstrap],
    classpath: 'tools',
    version: kafka.version,
  });
  assert.match(stdout, /^nodes=1$/m);
  assert.match(stdout, new RegExp(`^clients=${kafka.version.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(stdout, /^tools=true$/m);
});
