// Decides mudroom request files with @cloud-copilot/iam-simulate, an independent IAM evaluator,
// for mudroom's differential tests.
//
//   node iam-simulate-driver.mjs DEPS_DIR < cases.jsonl > decisions.jsonl
//
// DEPS_DIR holds the package's node_modules (scripts/test-deps installs it in
// target/test-deps/node). Each input line is {"id": ..., "request": REQUEST_FILE}; each output
// line is {"id": ..., "decision": "Allow" | "ExplicitDeny" | "ImplicitDeny"}, or
// {"id": ..., "error": "..."} when the case could not be mapped or the evaluator refused it.
// Output lines come in input order.

import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const depsDir = process.argv[2];
if (!depsDir) {
  process.stderr.write('usage: node iam-simulate-driver.mjs DEPS_DIR < cases.jsonl\n');
  process.exit(2);
}
const require = createRequire(join(resolve(depsDir), 'package.json'));
const { runSimulation, anonymousPrincipal } = require('@cloud-copilot/iam-simulate');

const ORG_LEVEL = 'o-mudroomtest';

function isAccountId(text) {
  return /^[0-9]{12}$/.test(text);
}

// The request's principal as iam-simulate takes it, and the global condition keys AWS sets for
// that principal (see "AWS global condition context keys" in the IAM user guide).
function principalOf(arn) {
  if (arn === 'anonymous' || arn === '*') {
    return { principal: anonymousPrincipal, keys: {} };
  }
  if (isAccountId(arn)) {
    arn = `arn:aws:iam::${arn}:root`;
  }
  if (!arn.startsWith('arn:')) {
    // A service principal such as lambda.amazonaws.com.
    return { principal: arn, keys: {} };
  }
  const parts = arn.split(':');
  const [partition, service, account] = [parts[1], parts[2], parts[4]];
  const resource = parts.slice(5).join(':');
  const keys = { 'aws:PrincipalAccount': account };
  if (service === 'iam' && resource === 'root') {
    keys['aws:PrincipalArn'] = arn;
    keys['aws:PrincipalType'] = 'Account';
  } else if (service === 'iam' && resource.startsWith('user/')) {
    keys['aws:PrincipalArn'] = arn;
    keys['aws:PrincipalType'] = 'User';
    keys['aws:username'] = resource.split('/').pop();
  } else if (service === 'iam' && resource.startsWith('role/')) {
    keys['aws:PrincipalArn'] = arn;
    keys['aws:PrincipalType'] = 'AssumedRole';
  } else if (service === 'sts' && resource.startsWith('assumed-role/')) {
    // For a role session, aws:PrincipalArn is the role's ARN.
    const role = resource.split('/')[1];
    keys['aws:PrincipalArn'] = `arn:${partition}:iam::${account}:role/${role}`;
    keys['aws:PrincipalType'] = 'AssumedRole';
  } else if (resource.startsWith('federated-user/')) {
    keys['aws:PrincipalArn'] = arn;
    keys['aws:PrincipalType'] = 'FederatedUser';
  } else {
    throw new Error(`unsupported principal \`${arn}\``);
  }
  return { principal: arn, keys };
}

function contextValue(value) {
  if (Array.isArray(value)) {
    return value.map((v) => String(v));
  }
  return String(value);
}

// Several session policies act as one: the union of their statements.
function mergeSessionPolicies(list) {
  if (!list || list.length === 0) {
    return undefined;
  }
  if (list.length === 1) {
    return list[0];
  }
  const version = list[0].Version;
  if (list.some((p) => p.Version !== version)) {
    throw new Error('session policies of different versions cannot be merged');
  }
  const statements = list.flatMap((p) => {
    return statementsOf(p).map(({ Sid, ...rest }) => rest);
  });
  return { Version: version, Statement: statements };
}

function orgLevel(list, prefix) {
  if (!list || list.length === 0) {
    return [];
  }
  return [
    {
      orgIdentifier: ORG_LEVEL,
      policies: list.map((policy, i) => ({ name: `${prefix}-${i}`, policy }))
    }
  ];
}

function statementsOf(policy) {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

function isFullAccessRcpStatement(s) {
  const one = (v) => v === '*' || (Array.isArray(v) && v.length === 1 && v[0] === '*');
  return (
    s.Effect === 'Allow' &&
    (one(s.Principal) || one(s.Principal?.AWS)) &&
    one(s.Action) &&
    one(s.Resource) &&
    s.Condition === undefined
  );
}

// iam-simulate attaches RCPFullAWSAccess to every level itself, as AWS does, and accepts only
// Deny statements in RCPs. A request file lists RCPFullAWSAccess (or an equivalent allow-all
// statement) explicitly, since its RCP list must allow: those statements are left out here, and
// an RCP list that does not allow everything cannot be expressed.
function rcpLevel(list) {
  if (!list || list.length === 0) {
    return [];
  }
  let fullAccess = false;
  const policies = [];
  for (const policy of list) {
    const rest = statementsOf(policy).filter((s) => {
      const full = isFullAccessRcpStatement(s);
      fullAccess ||= full;
      return !full;
    });
    if (rest.some((s) => s.Effect !== 'Deny')) {
      throw new Error('iam-simulate takes only Deny statements in RCPs, besides RCPFullAWSAccess');
    }
    if (rest.length > 0) {
      policies.push({ ...policy, Statement: rest });
    }
  }
  if (!fullAccess) {
    throw new Error('iam-simulate always applies RCPFullAWSAccess; this RCP list lacks it');
  }
  return orgLevel(policies, 'rcp');
}

function simulationOf(req) {
  const { principal, keys } = principalOf(req.principal.arn);
  const context = {};
  for (const [k, v] of Object.entries(req.context ?? {})) {
    context[k] = contextValue(v);
  }
  const present = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const setDefault = (k, v) => {
    if (!present.has(k.toLowerCase())) {
      context[k] = v;
      present.add(k.toLowerCase());
    }
  };
  for (const [k, v] of Object.entries(keys)) {
    setDefault(k, v);
  }
  for (const [k, v] of Object.entries(req.principal.tags ?? {})) {
    setDefault(`aws:PrincipalTag/${k}`, v);
  }
  let account = req.resource_account;
  if (account === undefined || account === null) {
    const parts = req.resource.split(':');
    account = parts.length >= 6 ? parts[4] : '';
  }
  const boundary = req.permissions_boundary;
  const simulation = {
    request: {
      principal,
      action: req.action,
      resource: { resource: req.resource, accountId: account },
      contextVariables: context
    },
    identityPolicies: (req.identity_policies ?? []).map((policy, i) => ({
      name: `identity-${i}`,
      policy
    })),
    serviceControlPolicies: orgLevel(req.service_control_policies, 'scp'),
    resourceControlPolicies: rcpLevel(req.resource_control_policies),
    resourcePolicy: req.resource_policy ?? undefined,
    permissionBoundaryPolicies: boundary ? [{ name: 'boundary', policy: boundary }] : undefined
  };
  const session = mergeSessionPolicies(req.session_policies);
  if (session) {
    simulation.sessionPolicy = session;
  }
  return simulation;
}

const DECISIONS = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'ExplicitDeny',
  ImplicitlyDenied: 'ImplicitDeny'
};

async function decide(line) {
  let input;
  try {
    input = JSON.parse(line);
  } catch (e) {
    return { id: null, error: `not JSON: ${e.message}` };
  }
  const id = input.id ?? null;
  try {
    const result = await runSimulation(simulationOf(input.request), {});
    if (result.resultType === 'error') {
      return { id, error: JSON.stringify(result.errors) };
    }
    if (result.resultType !== 'single') {
      return { id, error: `unexpected result type \`${result.resultType}\`` };
    }
    const decision = DECISIONS[result.overallResult];
    if (!decision) {
      return { id, error: `unexpected result \`${result.overallResult}\`` };
    }
    return { id, decision };
  } catch (e) {
    return { id, error: String(e?.message ?? e) };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') {
    continue;
  }
  process.stdout.write(JSON.stringify(await decide(line)) + '\n');
}
