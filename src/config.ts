/**
 * The operator's configuration from flags and environment: the only module that
 * reads process.env. Bad values are errors that name the flag.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { namespaceNameProblem } from './api/field-reader.ts';
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
  /** Leader election on the Lease kubeposture-leader in `namespace`; undefined when turned off. */
  readonly leaderElection:
    | {
        readonly namespace: string;
        readonly identity: string;
        readonly leaseDurationMs: number;
        readonly renewDeadlineMs: number;
        readonly retryPeriodMs: number;
      }
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

/** `kubeposture run`'s flags, for its usage text: one flag or continuation a line, unindented. */
export const RUN_FLAGS = `--kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, in-cluster)
--namespace NAME         the operator's own namespace, never selected (default: $POD_NAMESPACE, in a Pod its own)
--workers N              namespaces reconciled at once (default 16)
--resync-period DUR      re-check every namespace from cache this often (default 10m)
--status-interval DUR    write each baseline's status at most this often (default 1s)
--exception-horizon DUR  how far ahead a SecurityBaselineException may expire (default 90d)
--reports MODE           OpenReports Reports: auto (when the API is installed), on (required) or off (default auto)
--log-level LEVEL        error, warn, info or debug (default info)
--health-addr ADDR       where /healthz and /readyz are served (default :8081)
--metrics-addr ADDR      where Prometheus /metrics is served (default :8443)
--metrics-secure[=BOOL]  HTTPS, and only scrapers the apiserver authorises (default true)
--metrics-cert-dir DIR   tls.crt and tls.key for the metrics server (default: self-signed)
--admission-addr ADDR    where the allow-all webhook is served once config/guard/allow-all.yaml
                         is installed (default: not served)
--memory-soft-limit MIB  above this resident memory, collect garbage and give pages back;
                         needs node's --expose-gc (default $KUBEPOSTURE_MEMORY_SOFT_LIMIT, else 0: off)
--leader-elect[=BOOL]    elect one writer on a Lease (default: true in a cluster, that is with $POD_NAMESPACE
                         or a mounted ServiceAccount namespace; false outside one)
--leader-election-namespace NAME
                         the Lease's namespace (default: the operator's); setting it turns election on
--lease-duration DUR     how long a lease lasts unrenewed (default 15s)
--renew-deadline DUR     a leader that cannot renew for this long stops leading (default 10s)
--retry-period DUR       how often to try to acquire or renew (default 2s)`;

/** Where a Pod's ServiceAccount namespace is mounted: kubeposture runs in a cluster when it is there. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace in `file` (a Pod's mounted ServiceAccount namespace), or undefined when there is none. */
export function mountedNamespace(file = SERVICE_ACCOUNT_NAMESPACE_FILE): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    // Not in a Pod (or one without a ServiceAccount token): nothing mounted.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  const ns = text.trim();
  return ns === '' ? undefined : ns;
}

/** `kubeposture run`'s options, as node's parseArgs takes them. */
export const RUN_OPTIONS = {
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
  'leader-elect': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'lease-duration': { type: 'string', default: '15s' },
  'renew-deadline': { type: 'string', default: '10s' },
  'retry-period': { type: 'string', default: '2s' },
} as const satisfies ParseArgsOptionsConfig;

/** The flags that take true or false. */
const BOOLEAN_FLAGS = new Set(['--leader-elect', '--metrics-secure']);

/** `--leader-elect` alone (last, or before another flag) means `--leader-elect=true`, as a Go operator's bool flag does. */
function bareBooleans(args: readonly string[]): string[] {
  return args.map((a, i) => (BOOLEAN_FLAGS.has(a) && (args[i + 1] ?? '-').startsWith('-') ? `${a}=true` : a));
}

/**
 * Parses `kubeposture run` flags. The operator's namespace defaults to $POD_NAMESPACE, then to
 * the Pod's mounted ServiceAccount namespace (`podNamespace`). Leader election defaults to on in
 * a cluster (either of those is there) and off outside one, as kubebuilder's operators do: one
 * process run against a cluster from a laptop needs no Lease, and may not be allowed one.
 */
export function parseRunConfig(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  podNamespace: () => string | undefined = mountedNamespace,
): RunConfig {
  const { values } = parseArgs({ args: bareBooleans(args), options: RUN_OPTIONS, strict: true, allowPositionals: false });
  const level = values['log-level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`--log-level ${JSON.stringify(level)} must be one of ${LOG_LEVELS.join(', ')}`);
  const envNamespace = env.POD_NAMESPACE === '' ? undefined : env.POD_NAMESPACE;
  const mounted = podNamespace();
  const given = values.namespace ?? envNamespace ?? mounted;
  const ns = given === '' ? undefined : given;
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
  const lease = parseDuration('lease-duration', values['lease-duration']);
  const renew = parseDuration('renew-deadline', values['renew-deadline']);
  const retry = parseDuration('retry-period', values['retry-period']);
  if (!(retry < renew && renew < lease))
    throw new Error('--retry-period must be shorter than --renew-deadline, and that shorter than --lease-duration');
  const leaseNamespace = leaseNamespaceOf(values['leader-elect'], values['leader-election-namespace'], {
    operatorNamespace: ns,
    inCluster: envNamespace !== undefined || mounted !== undefined,
  });
  return {
    kubeconfig: values.kubeconfig,
    operatorNamespace: ns,
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
      leaseNamespace === undefined
        ? undefined
        : {
            namespace: leaseNamespace,
            identity: env.POD_NAME ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
            leaseDurationMs: lease,
            renewDeadlineMs: renew,
            retryPeriodMs: retry,
          },
  };
}

/** The namespace of the leader Lease, or undefined when election is off (see parseRunConfig). */
function leaseNamespaceOf(
  electFlag: string | undefined,
  namespaceFlag: string | undefined,
  where: { readonly operatorNamespace: string | undefined; readonly inCluster: boolean },
): string | undefined {
  if (electFlag !== undefined && electFlag !== 'true' && electFlag !== 'false')
    throw new Error(`--leader-elect ${JSON.stringify(electFlag)} must be true or false`);
  if (namespaceFlag !== undefined) {
    const problem = namespaceNameProblem(namespaceFlag);
    if (problem !== undefined) throw new Error(`--leader-election-namespace: ${problem}`);
    if (electFlag === 'false')
      throw new Error('--leader-election-namespace names the Lease of an election that --leader-elect=false turns off');
  }
  const elect = electFlag === undefined ? where.inCluster || namespaceFlag !== undefined : electFlag === 'true';
  if (!elect) return undefined;
  const namespace = namespaceFlag ?? where.operatorNamespace;
  if (namespace === undefined)
    throw new Error(
      "--leader-elect needs the operator's namespace for its Lease: set --namespace, $POD_NAMESPACE or --leader-election-namespace, or --leader-elect=false",
    );
  return namespace;
}
