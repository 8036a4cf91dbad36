// cordon_node: mark a node unschedulable.
import { NodeScheduleOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { objectName } from '../schemas.js';
import { setUnschedulable, type NodeSchedule } from './common.js';

export function cordonText(d: NodeSchedule): string {
  const { before, after } = d.unschedulable;
  if (!d.changed) return `no change: node ${d.name} is already cordoned (spec.unschedulable ${before})`;
  return [`cordoned node ${d.name}: spec.unschedulable ${before} → ${after}`, 'Pods already on the node keep running; no new pods are scheduled onto it.'].join('\n');
}

export const cordonNode = defineTool({
  name: 'cordon_node',
  title: 'Cordon a node',
  description: 'Mark a node unschedulable (like `kubectl cordon`): running pods stay, new pods are not scheduled onto it. Does not drain.',
  class: 'mutating',
  scope: 'cluster',
  inputSchema: { name: objectName('node') },
  outputSchema: NodeScheduleOutput,
  example: { name: 'node-1' },
  destructive: false,
  idempotent: true,
  async run(a, ctx) {
    const data = await setUnschedulable(ctx, a.name, true);
    return { text: cordonText(data), data };
  },
});
