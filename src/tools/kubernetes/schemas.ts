// Argument schemas shared by several tools. Descriptions are what the investigator reads.
import { z } from 'zod';
import { resolveKind, resolveWorkloadKind } from './kinds.js';

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const objectName = (what: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_NAME, 'must be a lower-case DNS name (letters, digits, "-", ".")')
    .describe(`Name of the ${what}.`);

export const namespaceArg = (what = 'object') =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name')
    .describe(`Namespace of the ${what}.`);

export const optionalNamespace = (description: string) =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name')
    .optional()
    .describe(description);

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export const workloadKind = z.enum(WORKLOAD_KINDS).describe('Kind of the workload: Deployment, StatefulSet or DaemonSet (deploy, sts, ds and other spellings work too).');

/** A ToolDef.normalize for tools whose `kind` is one of a few workload kinds: any spelling becomes the Kind. */
export function normalizeWorkloadKind(args: Record<string, unknown>, notes: string[], allowed: readonly string[]): string | undefined {
  if (args.kind === undefined) return undefined;
  const r = resolveWorkloadKind(args.kind, allowed);
  if ('error' in r) return r.error;
  args.kind = r.kind;
  if (r.note) notes.push(r.note);
  return undefined;
}

// get_resource and list_resources: any kind, with its apiVersion.

export const apiVersionArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/, 'must look like v1 or apps/v1')
  .optional()
  .describe(
    'API version of the kind. Optional for built-in kinds (filled in: "v1" for Pod, Service, ConfigMap, Secret, Node, Event, PersistentVolumeClaim; "apps/v1" for Deployment, StatefulSet, DaemonSet, ReplicaSet; ' +
      '"batch/v1" for Job, CronJob; "networking.k8s.io/v1" for Ingress; "autoscaling/v2" for HorizontalPodAutoscaler, ...). Required for a custom resource (CRD): its group/version, e.g. "cert-manager.io/v1".',
  );
export const kindArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9.\/-]*$/, 'must be a kind such as Deployment (or deploy, deployments)')
  .describe('Kind, e.g. Pod, Deployment, ConfigMap, Ingress; any case, plural or short name as kubectl accepts (po, deploy, sts, svc, pvc, no, cm, ns, ing, hpa, ...). For a CRD, its Kind with apiVersion.');

/** The kind and apiVersion to use, from any spelling; unknown kinds without apiVersion get the list of known ones. */
export function normalizeKindArgs(args: Record<string, unknown>, notes: string[]): string | undefined {
  if (typeof args.kind !== 'string') return undefined;
  const r = resolveKind(args.kind, typeof args.apiVersion === 'string' ? args.apiVersion : undefined);
  if ('error' in r) return r.error;
  args.kind = r.kind;
  args.apiVersion = r.apiVersion;
  notes.push(...r.notes);
  return undefined;
}

export const KIND_ALIASES = { resource: 'kind', resourcetype: 'kind', type: 'kind', objecttype: 'kind', resourcekind: 'kind', version: 'apiVersion', group: 'apiVersion', groupversion: 'apiVersion' };
