// Node test-runner reporter that counts tests for the final "N passed, N failed" line of `npm test`.
// It writes one JSON object ({passed, failed, skipped, todo}) to its destination when the run ends.
//
// Counted: leaf tests (tests with no subtests). A parent is counted only when it fails without any of
// its subtests failing — a failing before() hook, or a test file that fails to load — so that no
// failure is lost and none is counted twice. Children are reported before their parent.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  const files = new Map(); // file → { seen: boolean[], failed: boolean[] } indexed by nesting
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file = '', skip, todo } = event.data;
    let state = files.get(file);
    if (!state) files.set(file, (state = { seen: [], failed: [] }));
    const hadChildren = state.seen[nesting + 1] === true;
    const childFailed = state.failed[nesting + 1] === true;
    state.seen[nesting + 1] = false;
    state.failed[nesting + 1] = false;
    state.seen[nesting] = true;
    const failed = event.type === 'test:fail';
    if (failed) state.failed[nesting] = true;
    if (skip) counts.skipped++;
    else if (todo) counts.todo++;
    else if (!hadChildren) counts[failed ? 'failed' : 'passed']++;
    else if (failed && !childFailed) counts.failed++;
  }
  yield `${JSON.stringify(counts)}\n`;
}
