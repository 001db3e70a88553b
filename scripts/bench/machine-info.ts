import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** The machine a bench run was measured on, recorded with every result file. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started (other processes competing for the cores). */
  loadAverage: number;
  /** git describe of the trapspec tree (with -dirty when there are local changes). */
  trapspec: string;
  date: string;
}

function cpuModel(): string {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(text);
    if (m !== null) return m[1]!.trim();
  } catch {
    // not Linux: fall back to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown';
}

function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    trapspec: gitDescribe(),
    date: new Date().toISOString(),
  };
}
