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
  let material: https.AgentOptions = {};
  kc.applySecurityAuthentication = async (ctx) => {
    await apply(ctx);
    const fresh = ctx.getAgent() as unknown as AgentWithOptions | undefined;
    // Proxies and plain HTTP get other agent types: leave those alone.
    if (!fresh || Object.getPrototypeOf(fresh) !== https.Agent.prototype) return;
    const o = fresh.options;
    // Compared per request: buffers byte by byte (decoding them to strings cost ~30 µs a request).
    const same =
      agent &&
      o.rejectUnauthorized === material.rejectUnauthorized &&
      o.servername === material.servername &&
      sameMaterial(o.ca, material.ca) &&
      sameMaterial(o.cert, material.cert) &&
      sameMaterial(o.key, material.key);
    if (!same) {
      agent?.destroy();
      agent = new https.Agent({ ...o, keepAlive: true });
      material = { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername };
    }
    ctx.setAgent(agent!);
  };
  return kc;
}

/** Equal TLS material: the same bytes (client-node decodes a fresh Buffer on every request). */
function sameMaterial(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a == null || b == null) return false;
  return String(a) === String(b);
}
