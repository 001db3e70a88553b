import { type StatementStructures, StructureKind, VariableDeclarationKind } from 'ts-morph';
import type { CpuModelIR } from '../ir.ts';
import type { Emitter, GeneratedFile } from '../pipeline.ts';
import { docText, finishTs, printStructures } from './format.ts';

/**
 * Emits src/generated/cpu-model.ts: the modelled CPU (vendor, MAXPHYADDR, features with their
 * CPUID locations) and `cpuidLeaf(leaf, subleaf)`, the CPUID answer the model implies.
 */

export const CPU_MODEL_PATH = 'src/generated/cpu-model.ts';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function statements(cpu: CpuModelIR): StatementStructures[] {
  const features = [...cpu.features];
  const names = features.map((f) => `'${f.name}'`).join(' | ');
  const basicMax = Math.max(0, ...features.filter((f) => f.leaf < 0x8000_0000).map((f) => f.leaf));
  const extMax = Math.max(0x8000_0008, ...features.filter((f) => f.leaf >= 0x8000_0000).map((f) => f.leaf));
  const vendor = cpu.vendor.padEnd(12, ' ').slice(0, 12);
  const word = (s: string): string => hex(Buffer.from(s, 'latin1').readUInt32LE(0));
  return [
    {
      kind: StructureKind.TypeAlias,
      name: 'CpuFeatureName',
      isExported: true,
      docs: ['A CPUID feature named in the CPU model.'],
      type: names.length > 0 ? names : 'never',
    },
    {
      kind: StructureKind.Interface,
      name: 'CpuFeature',
      isExported: true,
      properties: [
        { name: 'name', type: 'CpuFeatureName', isReadonly: true },
        { name: 'leaf', type: 'number', isReadonly: true },
        { name: 'subleaf', type: 'number', isReadonly: true },
        { name: 'reg', type: "'eax' | 'ebx' | 'ecx' | 'edx'", isReadonly: true },
        { name: 'bit', type: 'number', isReadonly: true },
        { name: 'present', type: 'boolean', isReadonly: true },
        {
          name: 'inverted',
          type: 'boolean',
          isReadonly: true,
          docs: ['The CPUID bit reports absence (set when the feature is absent).'],
        },
        { name: 'description', type: 'string', isReadonly: true },
      ],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [docText(`The modelled CPU: ${cpu.description ?? cpu.name}.`)],
      declarations: [
        {
          name: 'CPU_MODEL',
          initializer: `{ name: ${JSON.stringify(cpu.name)}, vendor: ${JSON.stringify(cpu.vendor)}, maxPhysAddr: ${cpu.maxPhysAddr}, maxLinearAddr: ${cpu.maxLinearAddr} } as const`,
        },
      ],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Every feature of the model with its CPUID location, in spec order.'],
      declarations: [
        {
          name: 'CPU_FEATURES',
          type: 'readonly CpuFeature[]',
          initializer: `[${features
            .map(
              (f) =>
                `{ name: '${f.name}', leaf: ${hex(f.leaf)}, subleaf: ${f.subleaf}, reg: '${f.reg}', bit: ${f.bit}, present: ${f.present}, inverted: ${f.inverted === true}, description: ${JSON.stringify(f.description ?? '')} }`,
            )
            .join(', ')}]`,
        },
      ],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Feature name → present in the model.'],
      declarations: [
        {
          name: 'HAS_FEATURE',
          type: 'Readonly<Record<CpuFeatureName, boolean>>',
          initializer: `{ ${features.map((f) => `${f.name}: ${f.present}`).join(', ')} }`,
        },
      ],
    },
    {
      kind: StructureKind.VariableStatement,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Leaves whose answer depends on the subleaf (ECX); the others ignore it.'],
      declarations: [
        {
          name: 'SUBLEAF_LEAVES',
          initializer:
            'new Set([0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24, 0x8000001d, 0x80000020, 0x80000026])',
        },
      ],
    },
    {
      kind: StructureKind.Interface,
      name: 'CpuidResult',
      isExported: true,
      properties: ['eax', 'ebx', 'ecx', 'edx'].map((r) => ({ name: r, type: 'number' })),
    },
    {
      kind: StructureKind.Function,
      name: 'cpuidLeaf',
      isExported: true,
      docs: [
        `CPUID as the model answers it: the vendor (leaf 0), the highest leaves, MAXPHYADDR/MAXLINADDR (80000008H:EAX) and every modelled feature bit. Bits the model does not describe read 0.`,
      ],
      parameters: [
        { name: 'leaf', type: 'number' },
        { name: 'subleaf', type: 'number', initializer: '0' },
      ],
      returnType: 'CpuidResult',
      statements: [
        'const r: CpuidResult = { eax: 0, ebx: 0, ecx: 0, edx: 0 };',
        `if (leaf === 0) { r.eax = ${hex(basicMax)}; r.ebx = ${word(vendor.slice(0, 4))}; r.edx = ${word(vendor.slice(4, 8))}; r.ecx = ${word(vendor.slice(8, 12))}; }`,
        `if (leaf === 0x80000000) { r.eax = ${hex(extMax)}; r.ebx = ${word(vendor.slice(0, 4))}; r.edx = ${word(vendor.slice(4, 8))}; r.ecx = ${word(vendor.slice(8, 12))}; }`,
        `if (leaf === 0x80000008) r.eax = CPU_MODEL.maxPhysAddr | (CPU_MODEL.maxLinearAddr << 8);`,
        'for (const f of CPU_FEATURES) {',
        '  if (f.leaf !== leaf || (SUBLEAF_LEAVES.has(leaf) && f.subleaf !== subleaf) || f.present === f.inverted) continue;',
        '  r[f.reg] = (r[f.reg] | (1 << f.bit)) >>> 0;',
        '}',
        'return r;',
      ],
    },
  ];
}

export async function emitCpuModel(cpu: CpuModelIR): Promise<GeneratedFile> {
  return { path: CPU_MODEL_PATH, contents: await finishTs(cpu.file, printStructures(CPU_MODEL_PATH, statements(cpu))) };
}

export const cpuModelEmitter: Emitter = {
  name: 'cpu-model',
  owns: [],
  async emit({ spec }) {
    return { files: [await emitCpuModel(spec.cpu)] };
  },
};
