/**
 * @module infra/network
 * The VPC the GPU instances live in: private subnets, the egress chosen in NetworkOptions
 * (NAT gateway, NAT instance, or interface endpoints only), free S3/DynamoDB gateway endpoints,
 * and the workers' security group (no inbound at all).
 */
import type { NetworkOptions } from './options.ts';
import { GATEWAY_ENDPOINT_SERVICES, INTERFACE_ENDPOINT_SERVICES } from './worker-config.ts';

export interface Network {
  vpc: sst.aws.Vpc;
  privateSubnets: sst.aws.Vpc['privateSubnets'];
  /** Attached to the GPU instances and to the worker tasks' network interfaces. */
  workerSecurityGroup: aws.ec2.SecurityGroup;
}

export function createNetwork(o: NetworkOptions): Network {
  const vpc = new sst.aws.Vpc('Network', {
    az: o.azCount,
    // SST's "managed" is one NAT gateway per AZ; "ec2" is one fck-nat t4g.nano per AZ.
    ...(o.egress === 'nat-gateway' ? { nat: 'managed' as const } : {}),
    ...(o.egress === 'nat-instance' ? { nat: 'ec2' as const } : {}),
  });
  const region = aws.getRegionOutput().region;
  const serviceName = (service: string) => $interpolate`com.amazonaws.${region}.${service}`;

  // Gateway endpoints cost nothing and keep S3 (inputs, results, ECR image layers) and DynamoDB
  // traffic off the NAT, which also bills per GB processed.
  const privateRouteTableIds = vpc.nodes.privateRouteTables.apply((tables) => tables.map((t) => t.id));
  for (const service of GATEWAY_ENDPOINT_SERVICES) {
    new aws.ec2.VpcEndpoint(`Network${pascal(service)}GatewayEndpoint`, {
      vpcId: vpc.id,
      serviceName: serviceName(service),
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTableIds,
    });
  }

  const workerSecurityGroup = new aws.ec2.SecurityGroup('WorkerSecurityGroup', {
    vpcId: vpc.id,
    description: 'Ferry GPU workers: no inbound; outbound HTTPS to AWS APIs',
    egress: [
      {
        protocol: '-1',
        fromPort: 0,
        toPort: 0,
        cidrBlocks: ['0.0.0.0/0'],
        description: 'AWS APIs via NAT or endpoints',
      },
    ],
  });

  if (o.egress === 'vpc-endpoints') {
    const endpointSecurityGroup = new aws.ec2.SecurityGroup('EndpointSecurityGroup', {
      vpcId: vpc.id,
      description: 'Ferry interface endpoints: HTTPS from the GPU workers only',
      ingress: [
        {
          protocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          securityGroups: [workerSecurityGroup.id],
          description: 'GPU workers',
        },
      ],
    });
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(`Network${pascal(service)}Endpoint`, {
        vpcId: vpc.id,
        serviceName: serviceName(service),
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: vpc.privateSubnets,
        securityGroupIds: [endpointSecurityGroup.id],
      });
    }
  }

  return { vpc, privateSubnets: vpc.privateSubnets, workerSecurityGroup };
}

/** "ecr.api" -> "EcrApi", for resource names. */
function pascal(service: string): string {
  return service
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
