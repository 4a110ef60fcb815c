/** What the small soak's failure says when its queue does not drain: the operator's warnings and reconciles, grouped. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recentWarnings } from '../bench/soak.ts';

describe('recentWarnings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'soak-drain-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('groups warnings, errors and reconciles since a time, most frequent first, and leaves out the rest', () => {
    const at = (s: number): string => new Date(Date.UTC(2026, 11, 5, 12, 0, s)).toISOString();
    const lines = [
      { level: 'warn', message: 'Failed to write Report', key: 'a', timestamp: at(1) },
      { level: 'warn', message: 'Failed to write Report', key: 'b', timestamp: at(20) },
      { level: 'warn', message: 'Failed to write Report', key: 'b', timestamp: at(21) },
      { level: 'debug', message: 'Reconciled namespace', namespace: 'b', drift: 1, timestamp: at(22) },
      { level: 'debug', message: 'Observed baseline change', baseline: 'x', timestamp: at(23) },
      { level: 'info', message: 'Started', timestamp: at(24) },
      { level: 'error', message: 'Lost the lease', timestamp: at(25) },
    ];
    const file = join(dir, 'operator.log');
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\nnot json\n`);
    expect(recentWarnings(file, Date.parse(at(10)))).toEqual([
      '2× {"message":"Failed to write Report","key":"b"}',
      '1× {"message":"Reconciled namespace","namespace":"b","drift":1}',
      '1× {"message":"Lost the lease"}',
    ]);
  });
});
