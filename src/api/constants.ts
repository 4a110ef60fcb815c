/**
 * Names that are part of kubeposture's API: changing one breaks objects that
 * already exist in clusters (labels select them, the field manager owns their fields).
 */

/** The API group of SecurityBaseline. */
export const GROUP = 'kubeposture.io';
/** The served and stored version. */
export const VERSION = 'v1alpha1';
/** `group/version`, as in apiVersion. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The kind and its plural resource name. */
export const KIND = 'SecurityBaseline';
export const PLURAL = 'securitybaselines';

/** Server-side apply field manager for everything kubeposture writes. */
export const FIELD_MANAGER = 'kubeposture';

/** Labels on every object kubeposture creates. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'kubeposture';
export const LABEL_BASELINE = `${GROUP}/baseline`;
