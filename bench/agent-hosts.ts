// The container hosts the agent benches build (bench:agent-scale in process, bench:agent on a real Docker daemon):
// Compose-like projects of replicated services with their own policies, and clients and servers interleaved by
// address. Pure: names, labels and YAML.

/** Services of one Compose project, and who may reach whom on which port (the project's policies). */
export const SERVICES = ['web', 'api', 'worker', 'cache', 'db'] as const;
export type Service = (typeof SERVICES)[number];
export const REPLICAS: Readonly<Record<Service, number>> = {
  web: 4,
  api: 6,
  worker: 6,
  cache: 2,
  db: 2,
};
/** Containers per project. */
export const PER_PROJECT = Object.values(REPLICAS).reduce((a, b) => a + b, 0);

/**
 * The policies of one project (its namespace): default deny both ways, egress within the project and to HTTPS
 * outside private ranges, and per service who may reach it on which port (the monitoring namespace too).
 */
export function projectPolicies(project: string): string {
  const allow = (to: string, from: readonly string[], port: number): string => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ${to}-in, namespace: ${project} }
spec:
  podSelector: { matchLabels: { com.docker.compose.service: ${to} } }
  policyTypes: [Ingress]
  ingress:
    - from:
${from.map((f) => `        - podSelector: { matchLabels: { com.docker.compose.service: ${f} } }`).join('\n')}
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: monitoring } }
      ports: [{ port: ${port} }]
`;
  return `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: ${project} }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{ podSelector: {} }]
    - to: [{ ipBlock: { cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16] } }]
      ports: [{ port: 443 }]
${allow('api', ['web', 'worker'], 8080)}${allow('cache', ['api', 'worker'], 6379)}${allow('db', ['api', 'worker'], 5432)}${allow('web', [], 80)}`;
}

/** The interleaved shape's namespace and policies: everything isolated, app=client may reach app=server on 80. */
export const INTERLEAVED_NAMESPACE = 'bench';
export const INTERLEAVED_POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ${INTERLEAVED_NAMESPACE}}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server, namespace: ${INTERLEAVED_NAMESPACE}}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 80}]}]
`;
