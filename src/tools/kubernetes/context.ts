// What every built-in tool gets: API clients made from the operator's KubeConfig, and how a tool is defined.
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import type { z } from 'zod';

export interface ToolContext {
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  /** Current time in ms (a function so that tests can pin it). */
  now(): number;
}

export function makeContext(kc: KubeConfig): ToolContext {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
    now: () => Date.now(),
  };
}

export interface ToolDef<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: S;
  /** Mutating tools only: may the change destroy something (data, running pods)? */
  destructive?: boolean;
  /** Does calling it twice with the same arguments leave the same state? */
  idempotent?: boolean;
  /** Returns the text for the investigator; throws ToolError (or anything) on failure. */
  run(args: z.objectOutputType<S, z.ZodTypeAny>, ctx: ToolContext): Promise<string>;
}

/** Keeps the argument types of one tool while allowing a heterogeneous list. */
export function defineTool<S extends z.ZodRawShape>(def: ToolDef<S>): ToolDef {
  return def as unknown as ToolDef;
}
