/**
 * @module infra/gpu-fleet
 * The GPU worker fleet as raw Pulumi (SST's Service is Fargate-only, and Fargate has no GPUs):
 * ECR repository, ECS cluster on EC2 GPU instances (launch template + Auto Scaling group +
 * capacity provider with managed scaling and termination protection), the worker task
 * definition, its roles and logs, and the ECS service whose desired count infra/scaling.ts owns.
 */
import {
  assumeRolePolicy,
  clusterContainerInstancesArn,
  clusterTasksArn,
  instanceStatements,
  policyDocument,
  scoped,
  workerExecutionStatements,
  workerTaskStatements,
} from './iam.ts';
import type { Network } from './network.ts';
import type { GpuFleetOptions } from './options.ts';
import type { Queues } from './queues.ts';
import type { Storage } from './storage.ts';
import { userDataScript, workerContainerDefinitions, workerEnvironment } from './worker-config.ts';

export interface GpuFleet {
  repository: aws.ecr.Repository;
  cluster: aws.ecs.Cluster;
  autoScalingGroup: aws.autoscaling.Group;
  capacityProvider: aws.ecs.CapacityProvider;
  taskDefinition: aws.ecs.TaskDefinition;
  service: aws.ecs.Service;
  logGroup: aws.cloudwatch.LogGroup;
}

export interface GpuFleetInput {
  network: Network;
  storage: Storage;
  queues: Queues;
  options: GpuFleetOptions;
}

export function createGpuFleet({ network, storage, queues, options: o }: GpuFleetInput): GpuFleet {
  const prefix = `${$app.name}-${$app.stage}`.toLowerCase();
  const retain = $app.removal !== 'remove';
  const region = aws.getRegionOutput().region;
  const accountId = aws.getCallerIdentityOutput().accountId;
  const partition = aws.getPartitionOutput().partition;

  const repository = new aws.ecr.Repository(
    'WorkerRepository',
    {
      name: `${prefix}-worker`,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: 'AES256' }],
      forceDelete: !retain,
    },
    { retainOnDelete: retain },
  );
  new aws.ecr.LifecyclePolicy('WorkerRepositoryLifecycle', {
    repository: repository.name,
    policy: JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'Untagged layers of replaced images',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'Keep the 20 newest images (rollback room); storage is billed per GB-month',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 },
          action: { type: 'expire' },
        },
      ],
    }),
  });

  const cluster = new aws.ecs.Cluster('GpuCluster', {
    name: `${prefix}-gpu`,
    settings: [{ name: 'containerInsights', value: o.containerInsights ? 'enabled' : 'disabled' }],
  });

  const logGroup = new aws.cloudwatch.LogGroup(
    'WorkerLogGroup',
    { name: `/ferry/${$app.stage}/gpu-worker`, retentionInDays: o.logRetentionDays },
    { retainOnDelete: retain },
  );

  // --- Container instances: role, launch template, Auto Scaling group, capacity provider ---
  const instanceRole = new aws.iam.Role('GpuInstanceRole', {
    assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'),
    description: 'Ferry GPU container instances: ECS agent for this cluster, this repository and log group',
  });
  // Not AWS's managed AmazonEC2ContainerServiceforEC2Role: it may pull any repository and write
  // any log group in the account. Tasks get their own roles.
  new aws.iam.RolePolicy('GpuInstancePolicy', {
    role: instanceRole.id,
    policy: $resolve({
      clusterArn: cluster.arn,
      containerInstancesArn: $resolve({ partition, region, accountId, clusterName: cluster.name }).apply(
        clusterContainerInstancesArn,
      ),
      repositoryArn: repository.arn,
      logGroupArn: logGroup.arn,
    }).apply((arns) => JSON.stringify(policyDocument(scoped('GpuInstanceRole', instanceStatements(arns))))),
  });
  const instanceProfile = new aws.iam.InstanceProfile('GpuInstanceProfile', { role: instanceRole.name });

  const imageId = o.amiId ?? aws.ssm.getParameterOutput({ name: o.amiSsmParameter }).insecureValue;
  const launchTemplate = new aws.ec2.LaunchTemplate('GpuLaunchTemplate', {
    namePrefix: `${prefix}-gpu-`,
    description: 'Ferry GPU worker instances (ECS GPU-optimised AMI)',
    imageId,
    iamInstanceProfile: { arn: instanceProfile.arn },
    vpcSecurityGroupIds: [network.workerSecurityGroup.id],
    userData: cluster.name.apply((clusterName) =>
      Buffer.from(
        userDataScript({ clusterName, stopTimeoutSec: o.stopTimeoutSec, warmPool: o.warmPoolSize > 0 }),
      ).toString('base64'),
    ),
    // IMDSv2 only, one hop: containers cannot reach instance metadata (and the instance role).
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [
      {
        deviceName: '/dev/xvda',
        ebs: {
          volumeSize: o.rootVolumeGiB,
          volumeType: 'gp3',
          // Cold start writes and decompresses the multi-GB image here: above gp3's 125 MiB/s.
          throughput: o.rootVolumeThroughputMiBps,
          iops: o.rootVolumeIops,
          encrypted: 'true',
          deleteOnTermination: 'true',
        },
      },
    ],
    tagSpecifications: [
      { resourceType: 'instance', tags: { Name: `${prefix}-gpu-worker` } },
      { resourceType: 'volume', tags: { Name: `${prefix}-gpu-worker` } },
    ],
    updateDefaultVersion: true,
  });

  const autoScalingGroup = new aws.autoscaling.Group(
    'GpuAutoScalingGroup',
    {
      namePrefix: `${prefix}-gpu-`,
      // The capacity provider sets the desired count; zero instances when no task needs one.
      minSize: 0,
      maxSize: o.maxWorkers,
      vpcZoneIdentifiers: network.privateSubnets,
      // Required by managed termination protection: ECS lifts protection only from empty instances.
      protectFromScaleIn: true,
      // Off even on Spot: rebalancing launches a replacement and terminates the old instance on
      // a rebalance hint, beside scale-in protection that keeps it for its job; ECS Spot draining
      // handles the real 2-minute interruption notice.
      capacityRebalance: false,
      defaultInstanceWarmup: o.instanceWarmupSec,
      // Free one-minute group metrics: infra/scaling.ts divides the backlog by in-service instances.
      enabledMetrics: ['GroupInServiceInstances', 'GroupPendingInstances', 'GroupDesiredCapacity'],
      metricsGranularity: '1Minute',
      // Removable stages delete the group with its (scale-in protected) instances instead of
      // waiting for them, the classic cause of a hanging `sst remove`.
      forceDelete: !retain,
      forceDeleteWarmPool: !retain,
      ...(o.warmPoolSize > 0
        ? {
            warmPool: {
              poolState: 'Stopped',
              minSize: o.warmPoolSize,
              maxGroupPreparedCapacity: o.warmPoolSize,
            },
          }
        : {}),
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: '$Latest' },
          overrides: o.instanceTypes.map((instanceType) => ({ instanceType })),
        },
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: o.spot ? 0 : 100,
          // On-demand: the first listed type that has capacity; Spot: cheapest deep pool.
          onDemandAllocationStrategy: 'prioritized',
          spotAllocationStrategy: 'price-capacity-optimized',
        },
      },
      // ECS adds this tag for managed scaling; declaring it avoids a perpetual diff.
      tags: [
        { key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true },
        { key: 'Name', value: `${prefix}-gpu-worker`, propagateAtLaunch: true },
      ],
    },
    { ignoreChanges: ['desiredCapacity'] },
  );

  const capacityProvider = new aws.ecs.CapacityProvider('GpuCapacityProvider', {
    name: `${prefix}-gpu`,
    autoScalingGroupProvider: {
      autoScalingGroupArn: autoScalingGroup.arn,
      managedTerminationProtection: 'ENABLED',
      managedDraining: 'ENABLED',
      managedScaling: {
        status: 'ENABLED',
        // 100: no idle spare instance; every instance runs a task or is on its way out.
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: o.maxWorkers,
        instanceWarmupPeriod: o.instanceWarmupSec,
      },
    },
  });
  const clusterCapacityProviders = new aws.ecs.ClusterCapacityProviders('GpuClusterCapacityProviders', {
    clusterName: cluster.name,
    capacityProviders: [capacityProvider.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
  });

  // --- The worker task: roles, definition, service ---
  const taskRole = new aws.iam.Role('WorkerTaskRole', {
    assumeRolePolicy: accountId.apply((account) => assumeRolePolicy('ecs-tasks.amazonaws.com', account)),
    description: 'Ferry GPU worker task: its jobs, queues and prefixes only',
  });
  new aws.iam.RolePolicy('WorkerTaskPolicy', {
    role: taskRole.id,
    policy: $resolve({
      bucketArn: storage.bucket.arn,
      tableArn: storage.table.arn,
      jobsQueueArn: queues.jobs.arn,
      jobsDeadLetterQueueArn: queues.jobsDeadLetter.arn,
      webhooksQueueArn: queues.webhooks.arn,
      clusterTasksArn: $resolve({ partition, region, accountId, clusterName: cluster.name }).apply(
        clusterTasksArn,
      ),
    }).apply((arns) => JSON.stringify(policyDocument(scoped('WorkerTaskRole', workerTaskStatements(arns))))),
  });

  const executionRole = new aws.iam.Role('WorkerExecutionRole', {
    assumeRolePolicy: accountId.apply((account) => assumeRolePolicy('ecs-tasks.amazonaws.com', account)),
    description: 'Ferry GPU worker: image pull and logs (used by the ECS agent)',
  });
  new aws.iam.RolePolicy('WorkerExecutionPolicy', {
    role: executionRole.id,
    policy: $resolve({ repositoryArn: repository.arn, logGroupArn: logGroup.arn }).apply((arns) =>
      JSON.stringify(policyDocument(scoped('WorkerExecutionRole', workerExecutionStatements(arns)))),
    ),
  });

  const taskDefinition = new aws.ecs.TaskDefinition('WorkerTaskDefinition', {
    family: `${prefix}-gpu-worker`,
    requiresCompatibilities: ['EC2'],
    // Own network interface per task: its own security group, and ECS_AWSVPC_BLOCK_IMDS applies.
    networkMode: 'awsvpc',
    taskRoleArn: taskRole.arn,
    executionRoleArn: executionRole.arn,
    containerDefinitions: $resolve({
      repositoryUrl: repository.repositoryUrl,
      bucket: storage.bucket.name,
      table: storage.table.name,
      queueUrl: queues.jobs.url,
      dlqUrl: queues.jobsDeadLetter.url,
      webhookQueueUrl: queues.webhooks.url,
      region,
      logGroupName: logGroup.name,
    }).apply((r) =>
      JSON.stringify(
        workerContainerDefinitions({
          image: `${r.repositoryUrl}:${o.imageTag}`,
          environment: workerEnvironment({
            bucket: r.bucket,
            table: r.table,
            queueUrl: r.queueUrl,
            dlqUrl: r.dlqUrl,
            webhookQueueUrl: r.webhookQueueUrl,
            region: r.region,
            executionProviders: o.executionProviders,
            extra: o.environment,
          }),
          logGroupName: r.logGroupName,
          region: r.region,
          cpuUnits: o.taskCpuUnits,
          memoryReservationMiB: o.taskMemoryReservationMiB,
          stopTimeoutSec: o.stopTimeoutSec,
        }),
      ),
    ),
  });

  const service = new aws.ecs.Service(
    'WorkerService',
    {
      name: 'gpu-worker',
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      // Application Auto Scaling owns the count (infra/scaling.ts); 0 until there is work.
      desiredCount: 0,
      capacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
      networkConfiguration: {
        subnets: network.privateSubnets,
        securityGroups: [network.workerSecurityGroup.id],
        assignPublicIp: false,
      },
      // Replace in place (no second GPU instance per task during a deploy); a task holding a job
      // has scale-in protection, so ECS waits for it instead of killing the job.
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      waitForSteadyState: false,
      // Removable stages delete the service without first waiting for its tasks to drain.
      forceDelete: !retain,
    },
    { ignoreChanges: ['desiredCount'], dependsOn: [clusterCapacityProviders] },
  );

  return { repository, cluster, autoScalingGroup, capacityProvider, taskDefinition, service, logGroup };
}
