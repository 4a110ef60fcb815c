import { jest } from '@jest/globals';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('writes the levels at and above its own, and nothing below', () => {
    const lines: string[] = [];
    // winston's Console transport writes through console._stderr when it exists, else stderr.
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const consoleErr = (console as unknown as { _stderr?: NodeJS.WriteStream })._stderr;
    const write2 =
      consoleErr === undefined || consoleErr === process.stderr
        ? undefined
        : jest.spyOn(consoleErr, 'write').mockImplementation((chunk: string | Uint8Array) => {
            lines.push(String(chunk));
            return true;
          });
    try {
      const log = createLogger('info');
      log.debug('hidden', { n: 1 });
      log.info('shown', { n: 2 });
      log.warn('also shown');
      expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['shown', 'also shown']);
    } finally {
      write.mockRestore();
      write2?.mockRestore();
    }
  });
});
