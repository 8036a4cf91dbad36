// Argument schemas shared by several tools. Descriptions are what the investigator reads.
import { z } from 'zod';

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

export const workloadKind = z.enum(['Deployment', 'StatefulSet', 'DaemonSet']).describe('Kind of the workload: Deployment, StatefulSet or DaemonSet.');
