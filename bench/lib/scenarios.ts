/** The data both suites use: topics with 1 and 12 partitions, uncompressed and lz4 (issue 8). */
export const SCENARIOS = [
  { partitions: 1, compression: 'none' },
  { partitions: 12, compression: 'none' },
  { partitions: 1, compression: 'lz4' },
  { partitions: 12, compression: 'lz4' },
];
