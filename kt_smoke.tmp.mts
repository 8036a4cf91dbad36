import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createKubernetesToolServer } from './src/tools/kubernetes/server.ts';
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG!);
const server = createKubernetesToolServer(kc);
const [a, b] = InMemoryTransport.createLinkedPair();
const client = new Client({ name: 't', version: '1' });
await Promise.all([server.connect(a), client.connect(b)]);
const calls: Array<[string, Record<string, unknown>]> = JSON.parse(process.argv[2]);
for (const [name, args] of calls) {
  const t0 = Date.now();
  const r = await client.callTool({ name, arguments: args });
  console.log(`===== ${name} ${JSON.stringify(args)} isError=${r.isError ?? false} ${Date.now() - t0}ms\n${(r.content as any)[0].text}`);
}
await client.close();
