import { serviceAccountOf } from './identity.ts';

describe('serviceAccountOf', () => {
  it.each<[string, { namespace: string; name: string } | undefined]>([
    ['system:serviceaccount:kubeposture-system:kubeposture', { namespace: 'kubeposture-system', name: 'kubeposture' }],
    ['system:serviceaccount:ns:a', { namespace: 'ns', name: 'a' }],
    ['admin', undefined],
    ['system:admin', undefined],
    ['system:serviceaccount:ns', undefined],
    ['system:serviceaccount::name', undefined],
    ['system:serviceaccount:ns:', undefined],
    ['system:serviceaccount:ns:a:b', undefined],
    ['system:serviceaccounts:ns', undefined],
  ])('%s', (username, want) => {
    expect(serviceAccountOf(username)).toEqual(want);
  });
});
