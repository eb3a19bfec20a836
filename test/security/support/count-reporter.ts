import type { TestEvent } from 'node:test/reporters';

/**
 * A node:test reporter for `npm run test:security`: counts the tests that passed and
 * failed (suites and hooks are not tests) and names the failures, as one JSON line for
 * scripts/security-report.ts. The spec reporter still prints the run for people.
 */
export default async function* countReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  const failures: string[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details.type === 'suite') continue;
    if (event.type === 'test:pass') passed += 1;
    else failures.push(`${(event.data.file ?? '').replace(/^.*\/test\/security\//, '')}: ${event.data.name}`);
  }
  yield `${JSON.stringify({ passed, failed: failures.length, failures })}\n`;
}
