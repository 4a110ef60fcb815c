/**
 * The operator's configuration from flags and environment: the only module that
 * reads process.env. Bad values are errors that name the flag.
 */
import { parseArgs } from 'node:util';
import { parseAddress } from './observability/health.ts';
import { LOG_LEVELS, type LogLevel } from './observability/logger.ts';

export interface RunConfig {
  /** A kubeconfig file; undefined means KUBECONFIG, in-cluster, then ~/.kube/config. */
  readonly kubeconfig: string | undefined;
  readonly operatorNamespace: string | undefined;
  readonly workers: number;
  readonly resyncPeriodMs: number;
  readonly statusIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Where /healthz and /readyz are served. */
  readonly healthAddress: { readonly host: string | undefined; readonly port: number };
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "10m", "1h" in milliseconds; throws naming `flag` otherwise. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  const unit = m?.[2] === undefined ? undefined : UNITS[m[2]];
  if (m === null || unit === undefined) throw new Error(`--${flag} ${JSON.stringify(text)} is not a duration (use forms such as 500ms, 30s, 10m, 1h)`);
  return Number(m[1]) * unit;
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} ${JSON.stringify(text)} must be a whole number from 1 to ${String(max)}`);
  return n;
}

export const RUN_FLAGS = `
            --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config)
            --namespace NAME         the operator's own namespace, never selected (default: $POD_NAMESPACE)
            --workers N              namespaces reconciled at once (default 4)
            --resync-period DUR      re-check every namespace from cache this often (default 10m)
            --status-interval DUR    write each baseline's status at most this often (default 1s)
            --log-level LEVEL        error, warn, info or debug (default info)
            --health-addr ADDR       where /healthz and /readyz are served (default :8081)`;

/** Parses `kubeposture run` flags, with $POD_NAMESPACE as the namespace default. */
export function parseRunConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunConfig {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      workers: { type: 'string', default: '4' },
      'resync-period': { type: 'string', default: '10m' },
      'status-interval': { type: 'string', default: '1s' },
      'log-level': { type: 'string', default: 'info' },
      'health-addr': { type: 'string', default: ':8081' },
    },
    strict: true,
    allowPositionals: false,
  });
  const level = values['log-level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level ${JSON.stringify(level)} must be one of ${LOG_LEVELS.join(', ')}`);
  const ns = values.namespace ?? env.POD_NAMESPACE;
  return {
    kubeconfig: values.kubeconfig,
    operatorNamespace: ns === '' ? undefined : ns,
    workers: positiveInt('workers', values.workers, 256),
    resyncPeriodMs: parseDuration('resync-period', values['resync-period']),
    statusIntervalMs: parseDuration('status-interval', values['status-interval']),
    logLevel: level as LogLevel,
    healthAddress: parseAddress('health-addr', values['health-addr']),
  };
}
