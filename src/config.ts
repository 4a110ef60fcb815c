/**
 * The operator's configuration from flags and environment: the only module that
 * reads process.env. Bad values are errors that name the flag.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseAddress } from './observability/health.ts';
import { LOG_LEVELS, type LogLevel } from './observability/logger.ts';

export interface RunConfig {
  /** A kubeconfig file; undefined means $KUBECONFIG, then ~/.kube/config, then in-cluster. */
  readonly kubeconfig: string | undefined;
  readonly operatorNamespace: string | undefined;
  readonly workers: number;
  readonly resyncPeriodMs: number;
  readonly statusIntervalMs: number;
  /** How far ahead a SecurityBaselineException may expire. */
  readonly exceptionHorizonMs: number;
  /** OpenReports Reports: written when the API is installed (auto), required (on), or never (off). */
  readonly reports: 'auto' | 'on' | 'off';
  readonly logLevel: LogLevel;
  /** Where /healthz and /readyz are served. */
  readonly healthAddress: { readonly host: string | undefined; readonly port: number };
  /** Where /metrics is served. */
  readonly metricsAddress: { readonly host: string | undefined; readonly port: number };
  /**
   * How: `secure` is HTTPS, each scraper's bearer token reviewed by the apiserver (TokenReview, then
   * a SubjectAccessReview for get on /metrics), with the certificate in `certDir` (tls.crt, tls.key)
   * or a self-signed one made at start; `plain` is HTTP to anyone, for local use.
   */
  readonly metricsServing: { readonly kind: 'secure'; readonly certDir: string | undefined } | { readonly kind: 'plain' };
  /**
   * Where the allow-all webhook is served (admission/server.ts), while its configuration
   * (config/guard/allow-all.yaml) exists; undefined: never.
   */
  readonly admissionAddress: { readonly host: string | undefined; readonly port: number } | undefined;
  /** RSS above which a full collection gives memory back (observability/memory-limit.ts); undefined: none. */
  readonly memorySoftLimitBytes: number | undefined;
  /** Leader election on a Lease in the operator's namespace; undefined when turned off. */
  readonly leaderElection:
    | { readonly identity: string; readonly leaseDurationMs: number; readonly renewDeadlineMs: number; readonly retryPeriodMs: number }
    | undefined;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "10m", "1h", "90d" in milliseconds; throws naming `flag` otherwise. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const unit = m?.[2] === undefined ? undefined : UNITS[m[2]];
  if (m === null || unit === undefined)
    throw new Error(`--${flag} ${JSON.stringify(text)} is not a duration (use forms such as 500ms, 30s, 10m, 1h, 90d)`);
  return Number(m[1]) * unit;
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${flag} ${JSON.stringify(text)} must be a whole number from 1 to ${String(max)}`);
  return n;
}

export const RUN_FLAGS = `
            --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, in-cluster)
            --namespace NAME         the operator's own namespace, never selected (default: $POD_NAMESPACE)
            --workers N              namespaces reconciled at once (default 16)
            --resync-period DUR      re-check every namespace from cache this often (default 10m)
            --status-interval DUR    write each baseline's status at most this often (default 1s)
            --exception-horizon DUR  how far ahead a SecurityBaselineException may expire (default 90d)
            --reports MODE           OpenReports Reports: auto (when the API is installed), on (required) or off (default auto)
            --log-level LEVEL        error, warn, info or debug (default info)
            --health-addr ADDR       where /healthz and /readyz are served (default :8081)
            --metrics-addr ADDR      where Prometheus /metrics is served (default :8443)
            --metrics-secure BOOL    HTTPS, and only scrapers the apiserver authorises (default true)
            --metrics-cert-dir DIR   tls.crt and tls.key for the metrics server (default: self-signed)
            --admission-addr ADDR    where the allow-all webhook is served once config/guard/allow-all.yaml
                                     is installed (default: not served)
            --memory-soft-limit MIB  above this resident memory, collect garbage and give pages back;
                                     needs node's --expose-gc (default $KUBEPOSTURE_MEMORY_SOFT_LIMIT, else 0: off)
            --leader-elect BOOL      elect a leader on a Lease in the operator's namespace (default true)
            --lease-duration DUR     how long a lease lasts unrenewed (default 15s)
            --renew-deadline DUR     a leader that cannot renew for this long stops leading (default 10s)
            --retry-period DUR       how often to try to acquire or renew (default 2s)`;

/** Parses `kubeposture run` flags, with $POD_NAMESPACE as the namespace default. */
export function parseRunConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunConfig {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      workers: { type: 'string', default: '16' },
      'resync-period': { type: 'string', default: '10m' },
      'status-interval': { type: 'string', default: '1s' },
      'exception-horizon': { type: 'string', default: '90d' },
      reports: { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      'health-addr': { type: 'string', default: ':8081' },
      'metrics-addr': { type: 'string', default: ':8443' },
      'metrics-secure': { type: 'string', default: 'true' },
      'metrics-cert-dir': { type: 'string' },
      'admission-addr': { type: 'string' },
      'memory-soft-limit': { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
    },
    strict: true,
    allowPositionals: false,
  });
  const level = values['log-level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`--log-level ${JSON.stringify(level)} must be one of ${LOG_LEVELS.join(', ')}`);
  const ns = values.namespace ?? env.POD_NAMESPACE;
  const workers = positiveInt('workers', values.workers, 256);
  const resyncPeriodMs = parseDuration('resync-period', values['resync-period']);
  const statusIntervalMs = parseDuration('status-interval', values['status-interval']);
  const exceptionHorizonMs = parseDuration('exception-horizon', values['exception-horizon']);
  if (exceptionHorizonMs < 60_000 || exceptionHorizonMs > 3650 * 86_400_000)
    throw new Error(`--exception-horizon ${JSON.stringify(values['exception-horizon'])} must be between 1m and 3650d`);
  const reports = values.reports;
  if (reports !== 'auto' && reports !== 'on' && reports !== 'off')
    throw new Error(`--reports ${JSON.stringify(reports)} must be auto, on or off`);
  const healthAddress = parseAddress('health-addr', values['health-addr']);
  const metricsAddress = parseAddress('metrics-addr', values['metrics-addr']);
  const secure = values['metrics-secure'];
  if (secure !== 'true' && secure !== 'false') throw new Error(`--metrics-secure ${JSON.stringify(secure)} must be true or false`);
  const certDir = values['metrics-cert-dir'];
  if (secure === 'false' && certDir !== undefined)
    throw new Error('--metrics-cert-dir needs --metrics-secure=true: plain HTTP uses no certificate');
  if (certDir === '') throw new Error('--metrics-cert-dir "" must name a directory');
  const admission = values['admission-addr'];
  const admissionAddress = admission === undefined ? undefined : parseAddress('admission-addr', admission);
  if (admissionAddress !== undefined && (ns === undefined || ns === ''))
    throw new Error(
      "--admission-addr needs the operator's namespace for the webhook's certificate Secret: set --namespace or $POD_NAMESPACE",
    );
  const softLimit = values['memory-soft-limit'] ?? env.KUBEPOSTURE_MEMORY_SOFT_LIMIT ?? '0';
  const softLimitMiB = Number(softLimit);
  if (!/^\d{1,6}$/.test(softLimit) || !Number.isSafeInteger(softLimitMiB))
    throw new Error(`--memory-soft-limit ${JSON.stringify(softLimit)} must be a whole number of MiB (0: off)`);
  const elect = values['leader-elect'];
  if (elect !== 'true' && elect !== 'false') throw new Error(`--leader-elect ${JSON.stringify(elect)} must be true or false`);
  const lease = parseDuration('lease-duration', values['lease-duration']);
  const renew = parseDuration('renew-deadline', values['renew-deadline']);
  const retry = parseDuration('retry-period', values['retry-period']);
  if (!(retry < renew && renew < lease))
    throw new Error('--retry-period must be shorter than --renew-deadline, and that shorter than --lease-duration');
  if (elect === 'true' && (ns === undefined || ns === '')) {
    throw new Error(
      "--leader-elect needs the operator's namespace for its Lease: set --namespace or $POD_NAMESPACE, or --leader-elect=false",
    );
  }
  return {
    kubeconfig: values.kubeconfig,
    operatorNamespace: ns === '' ? undefined : ns,
    workers,
    resyncPeriodMs,
    statusIntervalMs,
    exceptionHorizonMs,
    reports,
    logLevel: level as LogLevel,
    healthAddress,
    metricsAddress,
    metricsServing: secure === 'false' ? { kind: 'plain' } : { kind: 'secure', certDir },
    admissionAddress,
    memorySoftLimitBytes: softLimitMiB === 0 ? undefined : softLimitMiB * 2 ** 20,
    leaderElection:
      elect === 'false'
        ? undefined
        : {
            identity: env.POD_NAME ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
            leaseDurationMs: lease,
            renewDeadlineMs: renew,
            retryPeriodMs: retry,
          },
  };
}
