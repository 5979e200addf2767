/**
 * @module infra/instance-types
 * What the stack knows about GPU instance types: the families the x86_64 ECS GPU AMI drives, and
 * vCPUs and memory of the single-GPU sizes (to check that a worker task fits).
 */

/**
 * GPU families the x86_64 ECS GPU AMI drives (NVIDIA, CUDA). Excluded on purpose: g4ad (AMD)
 * and g5g (Arm), which need another AMI and worker image.
 */
export const GPU_FAMILIES = [
  'g4dn',
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p3',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
];

/** vCPUs and memory (GiB) by size for the single-GPU sizes of g4dn, g5 and g6; g6e has twice the memory. */
const SIZES: Readonly<Record<string, { vcpu: number; memoryGiB: number }>> = {
  xlarge: { vcpu: 4, memoryGiB: 16 },
  '2xlarge': { vcpu: 8, memoryGiB: 32 },
  '4xlarge': { vcpu: 16, memoryGiB: 64 },
  '8xlarge': { vcpu: 32, memoryGiB: 128 },
  '16xlarge': { vcpu: 64, memoryGiB: 256 },
};

/** vCPUs and memory of a known single-GPU instance type, or undefined when this table does not know it. */
export function instanceShape(instanceType: string): { vcpu: number; memoryGiB: number } | undefined {
  const [family = '', size = ''] = instanceType.split('.');
  const shape = ['g4dn', 'g5', 'g6', 'g6e'].includes(family) ? SIZES[size] : undefined;
  if (!shape) return undefined;
  return family === 'g6e' ? { vcpu: shape.vcpu, memoryGiB: shape.memoryGiB * 2 } : shape;
}

/**
 * Share of an instance's memory the ECS agent offers to tasks (the OS, agent and NVIDIA
 * driver keep the rest); conservative, so a task that passes here is placeable.
 */
export const ECS_AVAILABLE_MEMORY_SHARE = 0.9;
