/**
 * The apiserver's objects as they travel: plain JSON in the apiserver's own field
 * names, typed only as far as kubeposture reads them. These are the types the
 * REST verbs (rest.ts) answer with and the informers (informer.ts) cache; a
 * field kubeposture never reads is not declared, and is kept as it came.
 */

/** The part of an object every answer and cache entry has. */
export interface WireObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
    readonly finalizers?: readonly string[];
    readonly ownerReferences?: readonly {
      readonly uid: string;
      readonly kind: string;
      readonly name: string;
      readonly apiVersion: string;
      readonly controller?: boolean;
    }[];
    readonly managedFields?: readonly ManagedFieldsEntry[];
  };
}

/** One entry of `metadata.managedFields`: who set which fields (fieldsV1), by apply or by update. */
export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly fieldsV1?: unknown;
}

/** One page of a list answer: its items and where the next page starts. */
export interface WireList<T> {
  readonly items?: T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

/** A coordination.k8s.io/v1 Lease, as leader election reads and writes it. */
export interface WireLease extends WireObject {
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    readonly acquireTime?: string;
    readonly renewTime?: string;
    readonly leaseTransitions?: number;
  };
}

/** A v1 Secret: only the webhook's serving certificate is read (admission/certificates.ts). */
export interface WireSecret extends WireObject {
  readonly type?: string;
  /** Values base64-encoded, as the API sends them. */
  readonly data?: Readonly<Record<string, string>>;
}

/** An admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration, as far as its serving certificate depends on it. */
export interface WireWebhookConfiguration extends WireObject {
  readonly webhooks?: readonly {
    readonly name?: string;
    readonly clientConfig?: {
      readonly url?: string;
      readonly service?: { readonly name?: string; readonly namespace?: string; readonly port?: number; readonly path?: string };
      readonly caBundle?: string;
    };
  }[];
}
