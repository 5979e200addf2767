/**
 * infra/network in "vpc-endpoints" mode (no stage uses it by default, so it is synthesised on
 * its own): no NAT at all, and an interface endpoint per AWS service the GPU workers call,
 * reachable only from the workers' security group.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { GATEWAY_ENDPOINT_SERVICES, INTERFACE_ENDPOINT_SERVICES } from '../../../infra/worker-config.ts';
import { ROOT, type Synth, synthesize } from '../../support/infra/synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the tests walk by path.
type Inputs = Record<string, any>;
let s: Synth;

beforeAll(async () => {
  s = await synthesize('ci', {
    program: [
      `import { createNetwork } from ${JSON.stringify(join(ROOT, 'infra', 'network.ts'))};`,
      'async function program() {',
      "  createNetwork({ egress: 'vpc-endpoints', azCount: 2 });",
      '  return {};',
      '}',
    ].join('\n'),
  });
}, 240_000);

describe('vpc-endpoints egress', () => {
  test('creates no NAT gateway, NAT instance or default route from private subnets', () => {
    expect(s.all('aws:ec2/natGateway:NatGateway')).toEqual([]);
    expect(s.all('aws:ec2/instance:Instance')).toEqual([]);
    for (const table of s.all('aws:ec2/routeTable:RouteTable').filter((t) => t.name.includes('Private'))) {
      expect((table.inputs as Inputs).routes ?? []).toEqual([]);
    }
  });

  test('adds an interface endpoint with private DNS in the private subnets for each service', () => {
    const endpoints = s.all('aws:ec2/vpcEndpoint:VpcEndpoint').map((e) => e.inputs as Inputs);
    const interfaces = endpoints.filter((e) => e.vpcEndpointType === 'Interface');
    expect(interfaces.map((e) => e.serviceName).sort()).toEqual(
      INTERFACE_ENDPOINT_SERVICES.map((svc) => `com.amazonaws.us-east-1.${svc}`).sort(),
    );
    for (const e of interfaces) {
      expect(e.privateDnsEnabled).toBe(true);
      expect(e.subnetIds).toEqual(['NetworkPrivateSubnet1-id', 'NetworkPrivateSubnet2-id']);
      expect(e.securityGroupIds).toEqual(['EndpointSecurityGroup-id']);
    }
    expect(endpoints.filter((e) => e.vpcEndpointType === 'Gateway').map((e) => e.serviceName)).toEqual(
      GATEWAY_ENDPOINT_SERVICES.map((svc) => `com.amazonaws.us-east-1.${svc}`),
    );
  });

  test('endpoints accept HTTPS from the workers only', () => {
    const sg = s.inputs<Inputs>('aws:ec2/securityGroup:SecurityGroup', 'EndpointSecurityGroup');
    expect(sg.ingress).toEqual([
      {
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        securityGroups: ['WorkerSecurityGroup-id'],
        description: 'GPU workers',
      },
    ]);
  });
});
