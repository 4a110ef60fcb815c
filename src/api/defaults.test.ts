import { defaultLimitRangeItem } from './defaults.ts';

describe('defaultLimitRangeItem (core/v1 SetDefaults_LimitRangeItem)', () => {
  it.each([
    [
      'max fills a missing default, default fills a missing request',
      { type: 'Container', max: { cpu: '2' } },
      { type: 'Container', max: { cpu: '2' }, default: { cpu: '2' }, defaultRequest: { cpu: '2' } },
    ],
    [
      'min fills a missing request when there is no default',
      { type: 'Container', min: { memory: '1Mi' } },
      { type: 'Container', min: { memory: '1Mi' }, defaultRequest: { memory: '1Mi' } },
    ],
    [
      'given values are kept',
      { type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '100m' }, max: { cpu: '2' } },
      { type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '100m' }, max: { cpu: '2' } },
    ],
    ['Pod items are not defaulted', { type: 'Pod', max: { cpu: '2' } }, { type: 'Pod', max: { cpu: '2' } }],
    [
      'nothing to default leaves no empty maps',
      { type: 'Container', maxLimitRequestRatio: { cpu: '2' } },
      { type: 'Container', maxLimitRequestRatio: { cpu: '2' } },
    ],
  ] as const)('%s', (_name, item, want) => {
    expect(defaultLimitRangeItem(item)).toEqual(want);
  });
});
