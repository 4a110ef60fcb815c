/**
 * `make bench-window` in small, in every test run: 20 namespaces created with a pod at once,
 * without and with the guard (config/guard/pods.yaml), the operator as its own process under
 * its ServiceAccount. With the guard no pod is stored before its namespace's default-deny;
 * without it, how many are is measured (it depends on the race), not asserted.
 */
import { renderWindow, runWindowBench, type WindowResult } from '../bench/window.ts';
import { benchEnvironment } from '../support/bench-env.ts';
import { uniqueName } from '../support/cluster.ts';

let close: (() => void) | undefined;
let result: WindowResult;

beforeAll(async () => {
  const bench = await benchEnvironment('window-bench');
  close = bench.close;
  result = await runWindowBench(
    bench.env,
    { sizes: [20], scriptNamespaces: 0, latencySamples: 0, workers: 16, prefix: `${uniqueName('wb')}-`, operatorNodeArgs: [] },
    20,
    true,
  );
}, 600_000);

afterAll(() => {
  close?.();
});

describe('the window benchmark at 20 namespaces', () => {
  it('with the guard, stores no pod before its namespace default-deny, and every pod gets in', () => {
    expect(result.on.namespaces).toBe(20);
    expect(result.on.podsBeforeDeny).toBe(0);
    // The guard refused at least the first try in each namespace the operator had not reached.
    expect(result.on.refusals).toBeGreaterThan(0);
    expect(result.on.podAdmittedP99Ms).toBeLessThan(60_000);
  });

  it('measures the window without the guard: every pod gets in', () => {
    expect(result.off.namespaces).toBe(20);
    expect(result.off.podAdmittedP99Ms).toBeLessThan(60_000);
  });

  it('renders its figures', () => {
    expect(renderWindow(result)).toContain(`| on | 0 of 20 |`);
  });
});
