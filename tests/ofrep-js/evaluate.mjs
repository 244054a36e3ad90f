#!/usr/bin/env node
// Evaluates Ripcord flags through the real OpenFeature JS server SDK and its OFREP provider,
// and prints what the OpenFeature client saw as one JSON document on stdout.
//
//   node tests/ofrep-js/evaluate.mjs <baseUrl> <sdkKey> [cases.json]
//
// cases.json (optional): {"flags":[...], "extraFlags":[...], "contexts":[{"name":"…","context":{…}}]}
//   flags      the boolean flags to evaluate; absent: every flag of the `groups` program,
//              listed through Ripcord's REST API with the same key
//   extraFlags evaluated too (e.g. an unknown key, to see FLAG_NOT_FOUND)
//   contexts   OpenFeature evaluation contexts; absent: a few built-in ones
//
// Every HTTP call is bounded (10 s each); evaluation errors are reported per flag, not thrown.
// Exit codes: 0 printed results, 2 bad usage, 1 anything else.
import { readFileSync } from 'node:fs';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const REQUEST_TIMEOUT_MS = 10_000;

const DEFAULT_CONTEXTS = [
  { name: 'anonymous', context: {} },
  { name: 'user-only', context: { targetingKey: 'u-1' } },
  { name: 'workspace-tier0', context: { targetingKey: 'u-2', workspaceId: 'w-1', tier: 0 } },
  { name: 'workspace-tier2', context: { targetingKey: 'u-3', workspaceId: 'w-2', tier: 2, platform: 'ios' } },
];

function usage(message) {
  process.stderr.write(`${message}\nusage: node evaluate.mjs <baseUrl> <sdkKey> [cases.json]\n`);
  process.exit(2);
}

// The OFREP provider calls fetch(request) with no deadline of its own; add one.
const boundedFetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

async function listGroupsFlags(baseUrl, key) {
  const response = await boundedFetch(`${baseUrl}/api/v1/programs/groups/flags`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!response.ok) {
    throw new Error(`listing the groups flags failed: HTTP ${response.status}`);
  }
  return (await response.json()).map((flag) => flag.key);
}

async function main() {
  const [baseUrlArg, key, casesPath] = process.argv.slice(2);
  if (!baseUrlArg || !key) {
    usage('missing arguments');
  }
  // The provider appends "/ofrep/v1/…" to the base URL as given: strip a trailing slash.
  const baseUrl = baseUrlArg.replace(/\/+$/, '');
  const cases = casesPath ? JSON.parse(readFileSync(casesPath, 'utf8')) : {};
  const flags = cases.flags ?? (await listGroupsFlags(baseUrl, key));
  const extraFlags = cases.extraFlags ?? [];
  const contexts = cases.contexts ?? DEFAULT_CONTEXTS;

  // The provider sends these headers verbatim on every call; the "Bearer " scheme is ours to add.
  const provider = new OFREPProvider({
    baseUrl,
    headers: [['Authorization', `Bearer ${key}`]],
    fetchImplementation: boundedFetch,
  });
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient('ripcord-ofrep-e2e');

  const results = [];
  for (const { name, context } of contexts) {
    for (const flag of [...flags, ...extraFlags]) {
      const details = await client.getBooleanDetails(flag, false, context);
      results.push({
        context: name,
        flag,
        value: details.value,
        reason: details.reason ?? null,
        variant: details.variant ?? null,
        errorCode: details.errorCode ?? null,
        errorMessage: details.errorMessage ?? null,
        metadata: details.flagMetadata ?? {},
      });
    }
  }
  await OpenFeature.close();
  process.stdout.write(`${JSON.stringify({ provider: provider.metadata.name, flags, results })}\n`);
}

main().catch((error) => {
  process.stderr.write(`evaluate.mjs failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
