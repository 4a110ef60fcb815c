/**
 * Kubernetes Events (events.k8s.io/v1) about SecurityBaselines and namespaces,
 * aggregated as client-go does: the same reason and note about the same object
 * within ten minutes bump the existing event's series count instead of making
 * a new event. Recording never fails the caller: errors are logged.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EVENT_LIMITS, clip, cut, eventName } from '../api/output-limits.ts';
import type { Logger } from '../lib/log.ts';
import type { RestClient } from './rest.ts';
import { errorMessage } from '../lib/errors.ts';
import { microTime } from '../lib/time.ts';

export interface EventTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid: string;
}

export type EventType = 'Normal' | 'Warning';

/** Records events; the interface the controller depends on. */
export interface EventSink {
  record(target: EventTarget, type: EventType, reason: string, note: string): void;
}

const SERIES_WINDOW_MS = 10 * 60_000;
const CONTROLLER = 'kubeposture.io/operator';

export class EventRecorder implements EventSink {
  private readonly rest: Pick<RestClient, 'create' | 'mergePatch'>;
  private readonly log: Logger;
  private readonly now: () => number;
  /** The apiserver accepts events about cluster-scoped objects only in "default". */
  private readonly clusterEventsNamespace = 'default';
  private readonly instance = cut(hostname(), EVENT_LIMITS.reportingInstance, 'bytes');
  private readonly series = new Map<string, { name: string; namespace: string; count: number; last: number }>();

  constructor(rest: Pick<RestClient, 'create' | 'mergePatch'>, log: Logger, now: () => number) {
    this.rest = rest;
    this.log = log;
    this.now = now;
  }

  record(target: EventTarget, type: EventType, reason: string, note: string): void {
    // Within the Event API's limits, or the apiserver refuses it on every try.
    const bounded = { reason: cut(reason, EVENT_LIMITS.reason, 'bytes'), note: clip(note, EVENT_LIMITS.note, 'bytes') };
    void this.send(target, type, bounded.reason, bounded.note).catch((err: unknown) => {
      this.log.warn('Failed to record event', { reason, kind: target.kind, name: target.name, error: errorMessage(err) });
    });
  }

  private async send(target: EventTarget, type: EventType, reason: string, note: string): Promise<void> {
    const key = `${target.uid}\u0000${reason}\u0000${note}`;
    const now = this.now();
    const seen = this.series.get(key);
    if (seen !== undefined && now - seen.last < SERIES_WINDOW_MS) {
      seen.count++;
      seen.last = now;
      await this.rest.mergePatch('Event', seen.namespace, seen.name, { series: { count: seen.count, lastObservedTime: microTime(now) } });
      return;
    }
    const namespace = target.namespace ?? this.clusterEventsNamespace;
    const name = eventName(target.name, randomBytes(8).toString('hex'));
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: CONTROLLER,
      reportingInstance: this.instance,
      action: cut(reason, EVENT_LIMITS.action, 'bytes'),
      reason,
      note,
      type,
      regarding: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.name,
        uid: target.uid,
        ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
      },
    };
    // No field manager: an event is never applied to, only its series count patched.
    await this.rest.create('Event', event);
    this.series.set(key, { name, namespace, count: 1, last: now });
    if (this.series.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [k, v] of this.series) if (now - v.last >= SERIES_WINDOW_MS) this.series.delete(k);
  }
}
