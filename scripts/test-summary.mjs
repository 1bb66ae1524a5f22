// A node:test reporter for `npm test` (next to the spec reporter): ends the output with one summary
// line that counts passed, failed and skipped tests and names every skipped suite or test with its
// reason, so a skipped suite (e.g. the Studio's browser tests without Chromium) is never buried. Tests
// marked todo (a known open bug) are named on a line of their own, with their outcome, and never counted as passed.
export default async function* summary(source) {
  let passed = 0, failed = 0;
  const skipped = [];
  const todo = [];
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const isSuite = data.details?.type === 'suite';
    if (data.skip !== undefined && data.skip !== false) {
      skipped.push(`${data.name}${typeof data.skip === 'string' ? ` (${data.skip})` : ''}`);
      continue;
    }
    if (isSuite || data.nesting === 0 && /\.js$/.test(data.name)) continue; // suites and per-file wrappers
    if (data.todo !== undefined && data.todo !== false) {
      todo.push(`${data.name} [${type === 'test:pass' ? 'passed' : 'failed'}]${typeof data.todo === 'string' ? ` (${data.todo})` : ''}`);
      continue;
    }
    if (type === 'test:pass') passed++;
    else failed++;
  }
  const list = skipped.length ? `: ${skipped.join('; ')}` : '';
  if (todo.length) yield `\nnpm test todo (known open bugs, not counted above): ${todo.join('; ')}\n`;
  yield `\nnpm test summary: ${passed} passed, ${failed} failed, ${skipped.length} skipped${list}\n`;
}
