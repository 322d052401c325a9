/**
 * The Kubernetes objects, checked without a cluster:
 *   1. each overlay rendered with `kubectl kustomize`, and the Secrets deploy/secrets.mjs prints
 *      (made here from test URLs and fresh keys) added to it;
 *   2. every object against its Kubernetes OpenAPI schema (the kubernetes-models packages; KEDA's
 *      ScaledObject and TriggerAuthentication from @kubernetes-models/keda, its CRDs' schemas);
 *   3. what no schema says: Services, PDBs, autoscalers, NetworkPolicies and the Ingress select or
 *      name things that exist; probes name declared ports; autoscaled Deployments leave replicas
 *      alone; the restricted Pod Security settings and resources are on every container; the
 *      network policies allow exactly the calls the code makes (and refuse a sample of others); each
 *      KEDA trigger reads the wait list of a queue its worker consumes, all of them; and each
 *      container's environment (literals, ConfigMap and Secret keys, *_FILE under a mounted Secret
 *      that has the file) satisfies that process's own config schema (deploy/validate/env.ts).
 *   npx tsx deploy/validate/kubernetes.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventCatalogue } from '../../packages/events/src/catalogue.ts';
import { queuePrefix } from '../../packages/events/src/queues.ts';
import { checkEnv, processOf } from './env.ts';

const root = resolve(import.meta.dirname, '../..');
const OVERLAYS = ['deploy/overlays/production', 'deploy/overlays/small'];
const started = performance.now();

// A loose shape of what is read here; the schemas check the rest.
/* eslint-disable @typescript-eslint/no-explicit-any */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: any };

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** The kubernetes-models class for an object, by apiVersion and kind. */
async function modelOf(object: K8sObject): Promise<(new (data: unknown) => { validate(): void }) | null> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const candidates =
    group === 'keda.sh'
      ? [`@kubernetes-models/keda/keda.sh/${version}/${object.kind}`]
      : [group ? `kubernetes-models/${group}/${version}/${object.kind}` : `kubernetes-models/${version}/${object.kind}`];
  for (const path of candidates) {
    try {
      const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
      return module[object.kind] ?? null;
    } catch {
      // tried next
    }
  }
  return null;
}

/** Test inputs for deploy/secrets.mjs: URLs of the shape an operator gives, keys made fresh. */
function renderSecrets(): K8sObject[] {
  const keys = mkdtempSync(join(tmpdir(), 'shutter-k8s-keys-'));
  try {
    const output = execFileSync(process.execPath, [join(root, 'deploy/secrets.mjs'), keys], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        USERS_DATABASE_URL: 'postgres://shutter_users:pw@db.internal:5432/shutter_users',
        MEDIA_DATABASE_URL: 'postgres://shutter_media:pw@db.internal:5432/shutter_media',
        SOCIAL_GRAPH_DATABASE_URL: 'postgres://shutter_social_graph:pw@db.internal:5432/shutter_social_graph',
        FEED_DATABASE_URL: 'postgres://shutter_feed:pw@db.internal:5432/shutter_feed',
        REDIS_URL: 'rediss://:pw@redis.internal:6380',
        S3_ACCESS_KEY_ID: 'media',
        S3_SECRET_ACCESS_KEY: 'secret',
      },
    });
    return (JSON.parse(output) as { items: K8sObject[] }).items;
  } finally {
    rmSync(keys, { recursive: true, force: true });
  }
}

interface Pod {
  owner: K8sObject;
  labels: Record<string, string>;
  spec: any;
}

async function checkOverlay(overlay: string, secrets: K8sObject[]): Promise<{ problems: string[]; count: number; environments: number }> {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${overlay}: ${what}`);
  const rendered = execFileSync('kubectl', ['kustomize', join(root, overlay)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const objects = [...parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject).filter(Boolean), ...secrets];

  // 2. Schemas.
  for (const object of objects) {
    const Model = await modelOf(object);
    if (!Model) {
      say(`${object.kind} ${object.metadata.name} (${object.apiVersion}): no schema to validate it against`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      say(`${object.kind} ${object.metadata.name}: ${(e as Error).message}`);
    }
  }

  // 3. What the schemas cannot say.
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const pods: Pod[] = [...ofKind('Deployment'), ...ofKind('Job')].map((o) => ({ owner: o, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec }));
  const podsFor = (selector: Record<string, string> | undefined) => pods.filter((p) => matches(selector, p.labels));
  const portsOf = (pod: Pod) => pod.spec.containers.flatMap((c: any) => c.ports ?? []) as { name?: string; containerPort: number }[];
  const hasPort = (pod: Pod, port: string | number) => portsOf(pod).some((p) => p.name === port || p.containerPort === port);

  for (const service of ofKind('Service')) {
    const selected = podsFor(service.spec.selector);
    if (selected.length === 0) say(`Service ${service.metadata.name} selects no pod`);
    for (const port of service.spec.ports ?? []) for (const pod of selected) if (!hasPort(pod, port.targetPort ?? port.port)) say(`Service ${service.metadata.name}: ${pod.owner.metadata.name} has no port ${port.targetPort}`);
  }
  for (const pod of pods) {
    const name = `${pod.owner.kind} ${pod.owner.metadata.name}`;
    for (const container of pod.spec.containers) {
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = container[probe]?.httpGet?.port;
        if (port !== undefined && !hasPort(pod, port)) say(`${name}: ${probe} names port ${port}, which the container does not declare`);
      }
      if (pod.owner.kind === 'Deployment' && !container.readinessProbe) say(`${name}: no readinessProbe`);
      if (pod.owner.kind === 'Deployment' && !container.livenessProbe) say(`${name}: no livenessProbe`);
      for (const resource of ['cpu', 'memory']) {
        if (!container.resources?.requests?.[resource]) say(`${name}: no ${resource} request`);
        if (!container.resources?.limits?.[resource]) say(`${name}: no ${resource} limit`);
      }
      // The restricted Pod Security Standard, which the overlays' namespaces enforce.
      const sc = container.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) say(`${name}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) say(`${name}: capabilities do not drop ALL`);
      const image = String(container.image);
      if (!/(^|\/)shutter(-web)?:[\w.-]+$/.test(image)) say(`${name}: image ${image} is not a tagged shutter or shutter-web image`);
      // The entry it runs is one the build makes (src/<entry>.ts bundled to dist/<entry>.js).
      for (const entry of (container.command ?? []).join(' ').matchAll(/((?:subgraphs\/[a-z-]+|gateway))\/dist\/(\w+)\.js/g)) {
        if (!existsSync(join(root, entry[1]!, 'src', `${entry[2]}.ts`))) say(`${name}: runs ${entry[0]}, but ${entry[1]}/src/${entry[2]}.ts does not exist`);
      }
    }
    if (pod.spec.securityContext?.runAsNonRoot !== true) say(`${name}: runAsNonRoot is not true`);
    if (pod.spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault') say(`${name}: seccompProfile is not RuntimeDefault`);
    if (pod.spec.enableServiceLinks !== false) say(`${name}: enableServiceLinks is not false (Service variables collide with <NAME>_PORT settings)`);
  }

  // Autoscalers and disruption budgets.
  const scaled = new Map<string, string>();
  for (const hpa of ofKind('HorizontalPodAutoscaler')) {
    const target = find(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
    if (!target) say(`HorizontalPodAutoscaler ${hpa.metadata.name}: no ${hpa.spec.scaleTargetRef.kind} ${hpa.spec.scaleTargetRef.name}`);
    else scaled.set(target.metadata.name, `HorizontalPodAutoscaler ${hpa.metadata.name}`);
    if (hpa.spec.minReplicas > hpa.spec.maxReplicas) say(`HorizontalPodAutoscaler ${hpa.metadata.name}: minReplicas above maxReplicas`);
  }
  for (const so of ofKind('ScaledObject')) {
    const target = find('Deployment', so.spec.scaleTargetRef.name);
    if (!target) {
      say(`ScaledObject ${so.metadata.name}: no Deployment ${so.spec.scaleTargetRef.name}`);
      continue;
    }
    if (scaled.has(target.metadata.name)) say(`Deployment ${target.metadata.name} is scaled by both ${scaled.get(target.metadata.name)} and ScaledObject ${so.metadata.name}`);
    scaled.set(target.metadata.name, `ScaledObject ${so.metadata.name}`);
    for (const trigger of so.spec.triggers) {
      if (trigger.authenticationRef && !find('TriggerAuthentication', trigger.authenticationRef.name)) say(`ScaledObject ${so.metadata.name}: no TriggerAuthentication ${trigger.authenticationRef.name}`);
    }
    // The queues it counts are exactly those its service consumes, under the prefix its pods use.
    const command = (target.spec.template.spec.containers[0].command ?? []).join(' ');
    const service = command.match(/subgraphs\/([a-z-]+)\/dist\/worker\.js/)?.[1];
    const prefix = envValues(objects, target.spec.template.spec.containers[0]).QUEUE_PREFIX ?? 'shutter';
    const consumed = [...new Set(Object.values(eventCatalogue).flatMap((e) => e.queues as readonly string[]))].filter((q) => q.startsWith(`${service}.`)).sort();
    const counted = so.spec.triggers.map((t: any) => String(t.metadata?.listName)).sort();
    const expected = consumed.map((q) => `${queuePrefix(prefix, q)}:${q}:wait`);
    if (JSON.stringify(counted) !== JSON.stringify(expected)) say(`ScaledObject ${so.metadata.name} counts ${counted.join(', ')}; the ${service} worker consumes ${expected.join(', ')}`);
    if (consumed.length > 0 && so.spec.minReplicaCount === 0) say(`ScaledObject ${so.metadata.name}: minReplicaCount 0 would stop the outbox relay that queues its own jobs`);
  }
  for (const deployment of ofKind('Deployment')) {
    if (scaled.has(deployment.metadata.name) && deployment.spec.replicas !== undefined) say(`Deployment ${deployment.metadata.name} sets replicas and is autoscaled (${scaled.get(deployment.metadata.name)}): every apply would reset the count`);
    const budgets = ofKind('PodDisruptionBudget').filter((b) => matches(b.spec.selector?.matchLabels, deployment.spec.template.metadata.labels));
    if (budgets.length !== 1) say(`Deployment ${deployment.metadata.name} is covered by ${budgets.length} PodDisruptionBudgets, not 1`);
  }
  for (const budget of ofKind('PodDisruptionBudget')) if (podsFor(budget.spec.selector?.matchLabels).length === 0) say(`PodDisruptionBudget ${budget.metadata.name} selects no pod`);

  // The Ingress.
  for (const ingress of ofKind('Ingress')) {
    for (const rule of ingress.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const service = find('Service', backend.name);
        if (!service) say(`Ingress ${ingress.metadata.name}: no Service ${backend.name}`);
        else if (!service.spec.ports.some((p: any) => p.name === backend.port.name || p.port === backend.port.number)) say(`Ingress ${ingress.metadata.name}: Service ${backend.name} has no port ${JSON.stringify(backend.port)}`);
      }
    }
  }

  // NetworkPolicies: a small evaluator for the matchLabels and namespace selectors used here.
  const policies = ofKind('NetworkPolicy');
  for (const policy of policies) {
    const selector = policy.spec.podSelector?.matchLabels;
    if (selector && podsFor(selector).length === 0) say(`NetworkPolicy ${policy.metadata.name} selects no pod`);
    for (const rule of policy.spec.ingress ?? []) {
      for (const from of rule.from ?? []) if (from.podSelector && podsFor(from.podSelector.matchLabels).length === 0) say(`NetworkPolicy ${policy.metadata.name}: a rule names pods that do not exist`);
      for (const port of rule.ports ?? []) for (const pod of podsFor(selector ?? {})) if (!hasPort(pod, port.port)) say(`NetworkPolicy ${policy.metadata.name}: ${pod.owner.metadata.name} has no port ${port.port}`);
    }
  }
  type Source = { pod: string } | { namespace: string };
  const podLabels = (name: string) => pods.find((p) => p.owner.metadata.name === name)?.labels;
  const allowed = (source: Source, target: string, port: string): boolean => {
    const targetPod = pods.find((p) => p.owner.metadata.name === target)!;
    const selecting = policies.filter((p) => (p.spec.policyTypes ?? ['Ingress']).includes('Ingress') && matches(p.spec.podSelector?.matchLabels ?? {}, targetPod.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (p.spec.ingress ?? []).some((rule: any) => {
        const portOk = !rule.ports || rule.ports.some((rp: any) => rp.port === port);
        const fromOk =
          !rule.from ||
          rule.from.some((f: any) =>
            'pod' in source
              ? !!f.podSelector && !f.namespaceSelector && matches(f.podSelector.matchLabels ?? {}, podLabels(source.pod))
              : !!f.namespaceSelector && !f.podSelector && f.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] === source.namespace,
          );
        return portOk && fromOk;
      }),
    );
  };
  // The ingress controller's namespace: the one the web pods' policy lets in (the monitoring
  // namespace, let in to every process's metrics port, is another).
  const namespacesLetInto = (target: string) =>
    policies
      .filter((p) => matches(p.spec.podSelector?.matchLabels ?? {}, podLabels(target)))
      .flatMap((p) => (p.spec.ingress ?? []).flatMap((r: any) => (r.from ?? []).map((f: any) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])));
  const ingressNamespace = namespacesLetInto('web').find(Boolean);
  const processes = ['gateway', 'users', 'media', 'social-graph', 'feed', 'users-worker', 'media-worker', 'social-graph-worker', 'feed-worker'];
  const mustAllow: [Source, string][] = [
    [{ namespace: ingressNamespace ?? 'ingress-nginx' }, 'web'],
    [{ pod: 'web' }, 'gateway'],
    [{ pod: 'web' }, 'media'],
    ...['users', 'media', 'social-graph', 'feed'].map((s): [Source, string] => [{ pod: 'gateway' }, s]),
    [{ pod: 'social-graph' }, 'users'],
    [{ pod: 'feed' }, 'social-graph'],
    [{ pod: 'feed-worker' }, 'social-graph'],
    // Prometheus scrapes every process's /metrics.
    ...processes.map((target): [Source, string] => [{ namespace: 'monitoring' }, target]),
  ];
  const mustDeny: [Source, string][] = [
    [{ namespace: ingressNamespace ?? 'ingress-nginx' }, 'gateway'],
    [{ namespace: ingressNamespace ?? 'ingress-nginx' }, 'media'],
    [{ namespace: 'default' }, 'web'],
    [{ namespace: 'monitoring' }, 'web'],
    [{ pod: 'web' }, 'users'],
    [{ pod: 'web' }, 'feed'],
    [{ pod: 'media' }, 'users'],
    [{ pod: 'users-worker' }, 'gateway'],
    [{ pod: 'media-worker' }, 'feed'],
    ...['users-worker', 'media-worker', 'social-graph-worker', 'feed-worker'].map((w): [Source, string] => [{ pod: 'gateway' }, w]),
  ];
  const describe = (s: Source) => ('pod' in s ? s.pod : `namespace ${s.namespace}`);
  for (const [source, target] of mustAllow) if (!allowed(source, target, hasPort(pods.find((p) => p.owner.metadata.name === target)!, 'http') ? 'http' : 'health')) say(`network: ${describe(source)} → ${target} is refused, and the product needs it`);
  for (const [source, target] of mustDeny) if (allowed(source, target, hasPort(pods.find((p) => p.owner.metadata.name === target)!, 'http') ? 'http' : 'health')) say(`network: ${describe(source)} → ${target} is allowed, and nothing needs it`);

  // Each container's environment against its process's config schema.
  let environments = 0;
  for (const pod of pods) {
    for (const container of pod.spec.containers) {
      const spec = await processOf([...(container.command ?? []), ...(container.args ?? [])]);
      if (spec === 'no-env') continue;
      const name = `${pod.owner.kind} ${pod.owner.metadata.name}`;
      if (spec === null) {
        // The web image's schema lives in the web workspace, on its own branch until it lands.
        if (String(container.image).includes('shutter-web')) continue;
        say(`${name}: runs ${(container.command ?? []).join(' ')}, which is no known process of the product`);
        continue;
      }
      const { values, opaque, problems: envProblems } = resolveEnv(objects, pod, container);
      for (const p of envProblems) say(`${name}: ${p}`);
      for (const p of checkEnv(spec, { values, opaque })) say(`${name}: ${p}`);
      environments++;
    }
  }
  return { problems, count: objects.length, environments };
}

/** The literal and ConfigMap values a container gets (for QUEUE_PREFIX and the like). */
function envValues(objects: K8sObject[], container: any): Record<string, string> {
  const values: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
    Object.assign(values, map?.data ?? {});
  }
  for (const e of container.env ?? []) if (e.value !== undefined) values[e.name] = String(e.value);
  return values;
}

/** What a container's environment will hold, with references checked against the rendered objects. */
function resolveEnv(objects: K8sObject[], pod: Pod, container: any): { values: Record<string, string>; opaque: Set<string>; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  const opaque = new Set<string>();
  const get = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const map = get('ConfigMap', from.configMapRef.name);
      if (!map) problems.push(`envFrom names ConfigMap ${from.configMapRef.name}, which is not rendered`);
      Object.assign(values, map?.data ?? {});
    }
    if (from.secretRef) {
      const secret = get('Secret', from.secretRef.name);
      for (const key of Object.keys(secret?.data ?? {})) opaque.add(key);
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) values[e.name] = String(e.value);
    const cm = e.valueFrom?.configMapKeyRef;
    if (cm) {
      const value = get('ConfigMap', cm.name)?.data?.[cm.key];
      if (value === undefined) problems.push(`${e.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
      else values[e.name] = value;
    }
    const sk = e.valueFrom?.secretKeyRef;
    if (sk) {
      const has = get('Secret', sk.name)?.data?.[sk.key] !== undefined;
      if (!has && !sk.optional) problems.push(`${e.name}: Secret ${sk.name} (as deploy/secrets.mjs makes it) has no key ${sk.key}`);
      opaque.add(e.name);
    }
  }
  // NAME_FILE: the file is a key of a Secret mounted at that folder.
  for (const [name, path] of Object.entries(values)) {
    if (!name.endsWith('_FILE')) continue;
    const mount = (container.volumeMounts ?? []).find((m: any) => path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    if (!mount) {
      problems.push(`${name}=${path} is under no volume mounted in the container`);
      continue;
    }
    const volume = pod.spec.volumes?.find((v: any) => v.name === mount.name);
    const relative = path.slice(mount.mountPath.replace(/\/$/, '').length + 1);
    const source = volume?.secret;
    if (!source) {
      problems.push(`${name}=${path}: the volume ${mount.name} is not a Secret`);
      continue;
    }
    const item = (source.items ?? []).find((i: any) => i.path === relative);
    const key = source.items ? item?.key : relative;
    if (!key) problems.push(`${name}=${path}: the Secret volume ${mount.name} does not project ${relative}`);
    else if (get('Secret', source.secretName)?.data?.[key] === undefined && !source.optional) problems.push(`${name}=${path}: Secret ${source.secretName} has no key ${key}`);
    opaque.add(name);
    delete values[name];
  }
  return { values, opaque, problems };
}

const secrets = renderSecrets();
let objectsChecked = 0;
let environmentsChecked = 0;
const problems: string[] = [];
for (const overlay of OVERLAYS) {
  const result = await checkOverlay(overlay, secrets);
  problems.push(...result.problems);
  objectsChecked += result.count;
  environmentsChecked += result.environments;
}
const ms = Math.round(performance.now() - started);
if (problems.length > 0) {
  console.error(`kubernetes: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`kubernetes: ${OVERLAYS.length} overlays, ${objectsChecked} objects valid against their schemas (KEDA's included), references, probes, security settings, network reachability, queue triggers, and ${environmentsChecked} container environments against their config schemas (${ms} ms)`);
