// Argument schemas shared by several tools. Descriptions are what the investigator reads.
import { z } from 'zod';
import { resolveWorkloadKind } from './kinds.js';

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
