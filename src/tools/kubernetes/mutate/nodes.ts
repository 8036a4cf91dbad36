// cordon_node and uncordon_node.
import { defineTool, type ToolContext } from '../context.js';
import { k8s } from '../errors.js';
import { NodeScheduleOutput } from '../outputs.js';
import { objectName } from '../schemas.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

async function setUnschedulable(ctx: ToolContext, name: string, unschedulable: boolean): Promise<{ text: string; data: { name: string; changed: boolean; unschedulable: { before: boolean; after: boolean } } }> {
  const verbName = unschedulable ? 'cordoned' : 'uncordoned';
  const node = await k8s({ verb: 'get', resource: 'nodes', name }, () => ctx.core.readNode({ name }));
  const was = node.spec?.unschedulable ?? false;
  if (was === unschedulable) {
    return { text: `no change: node ${name} is already ${unschedulable ? 'cordoned' : 'schedulable'} (spec.unschedulable ${was})`, data: { name, changed: false, unschedulable: { before: was, after: was } } };
  }
  const after = await k8s({ verb: 'patch', resource: 'nodes', name }, () =>
    ctx.core.patchNode({ name, body: { spec: { unschedulable: unschedulable ? true : null } }, fieldManager: FIELD_MANAGER }, mergePatch()),
  );
  const now = after.spec?.unschedulable ?? false;
  const text = [
    `${verbName} node ${name}: spec.unschedulable ${was} → ${now}`,
    unschedulable
      ? 'Pods already on the node keep running; no new pods are scheduled onto it.'
      : 'The scheduler may place new pods on the node again.',
  ].join('\n');
  return { text, data: { name, changed: true, unschedulable: { before: was, after: now } } };
}

export const cordonNode = defineTool({
  name: 'cordon_node',
  title: 'Cordon a node',
  description: 'Mark a node unschedulable (like `kubectl cordon`): running pods stay, new pods are not scheduled onto it. Does not drain.',
  inputSchema: { name: objectName('node') },
  outputSchema: NodeScheduleOutput,
  example: { name: 'node-1' },
  destructive: false,
  idempotent: true,
  run: (a, ctx) => setUnschedulable(ctx, a.name, true),
});

export const uncordonNode = defineTool({
  name: 'uncordon_node',
  title: 'Uncordon a node',
  description: 'Mark a node schedulable again (like `kubectl uncordon`).',
  inputSchema: { name: objectName('node') },
  outputSchema: NodeScheduleOutput,
  example: { name: 'node-1' },
  destructive: false,
  idempotent: true,
  run: (a, ctx) => setUnschedulable(ctx, a.name, false),
});
