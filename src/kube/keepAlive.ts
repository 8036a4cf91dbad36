// client-node 1.x builds a new https.Agent for every request (KubeConfig.applySecurityAuthentication),
// so every API call pays a fresh TLS handshake: measured in bench/ingest.ts at ~3.5 ms of client CPU and
// ~1.2 ms in the apiserver per request, about half of what a status patch costs. This makes all clients
// made from one KubeConfig share one keep-alive agent, rebuilt only when the TLS material changes
// (a rotated client certificate). Bearer tokens are headers, refreshed per request as before.
// maxSockets stays unlimited: requests queued on a keep-alive socket make node-fetch 2 (which client-node
// uses) report false "Premature close" errors (node-fetch#1767).
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentWithOptions = https.Agent & { options: https.AgentOptions };

export function shareKeepAliveAgent(kc: KubeConfig): KubeConfig {
  const apply = kc.applySecurityAuthentication.bind(kc);
  let agent: https.Agent | undefined;
  let material = '';
  kc.applySecurityAuthentication = async (ctx) => {
    await apply(ctx);
    const fresh = ctx.getAgent() as unknown as AgentWithOptions | undefined;
    // Proxies and plain HTTP get other agent types: leave those alone.
    if (!fresh || Object.getPrototypeOf(fresh) !== https.Agent.prototype) return;
    const { ca, cert, key, rejectUnauthorized, servername } = fresh.options;
    const now = JSON.stringify([String(ca ?? ''), String(cert ?? ''), String(key ?? ''), rejectUnauthorized, servername]);
    if (!agent || now !== material) {
      agent?.destroy();
      agent = new https.Agent({ ...fresh.options, keepAlive: true });
      material = now;
    }
    ctx.setAgent(agent);
  };
  return kc;
}
