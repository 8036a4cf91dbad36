// uncordon_node: mark a node schedulable again.
import { NodeScheduleOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { objectName } from '../schemas.js';
import { setUnschedulable, type NodeSchedule } from './common.js';

export function uncordonText(d: NodeSchedule): string {
  const { before, after } = d.unschedulable;
  if (!d.changed) return `no change: node ${d.name} is already schedulable (spec.unschedulable ${before})`;
  return [`uncordoned node ${d.name}: spec.unschedulable ${before} → ${after}`, 'The scheduler may place new pods on the node again.'].join('\n');
}

export const uncordonNode = defineTool({
  name: 'uncordon_node',
  title: 'Uncordon a node',
  description: 'Mark a node schedulable again (like `kubectl uncordon`).',
  class: 'mutating',
  scope: 'cluster',
  inputSchema: { name: objectName('node') },
  outputSchema: NodeScheduleOutput,
  example: { name: 'node-1' },
  destructive: false,
  idempotent: true,
  async run(a, ctx) {
    const data = await setUnschedulable(ctx, a.name, false);
    return { text: uncordonText(data), data };
  },
});
