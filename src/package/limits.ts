/**
 * Limits for untrusted packages (the zip and every .xlsx inside it). Defaults fit real setup packages
 * with a wide margin; env overrides exist so tests and unusual users can tighten or widen them.
 */
export interface ZipLimits {
  /** Most entries a zip may hold. */
  maxEntries: number;
  /** Most bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** Most bytes all entries together may inflate to. */
  maxTotalBytes: number;
  /** Highest inflated/compressed ratio for an entry larger than `ratioFloorBytes`. */
  maxRatio: number;
  /** Entries smaller than this are not ratio-checked (a tiny file of zeros is harmless). */
  ratioFloorBytes: number;
  /** Most bytes an .xlsx may have, and all its parts inflated together: they are held in memory while its sheet is read. */
  maxWorkbookBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: ZipLimits = {
  maxEntries: 1000,
  maxEntryBytes: 1024 * MiB,
  maxTotalBytes: 2048 * MiB,
  maxRatio: 250,
  ratioFloorBytes: MiB,
  maxWorkbookBytes: 200 * MiB,
};

const ENV_NAMES: Record<keyof ZipLimits, string> = {
  maxEntries: 'MTDVAT_LIMIT_MAX_ENTRIES',
  maxEntryBytes: 'MTDVAT_LIMIT_MAX_ENTRY_BYTES',
  maxTotalBytes: 'MTDVAT_LIMIT_MAX_TOTAL_BYTES',
  maxRatio: 'MTDVAT_LIMIT_MAX_RATIO',
  ratioFloorBytes: 'MTDVAT_LIMIT_RATIO_FLOOR_BYTES',
  maxWorkbookBytes: 'MTDVAT_LIMIT_MAX_WORKBOOK_BYTES',
};

/** DEFAULT_LIMITS with any `MTDVAT_LIMIT_*` environment overrides applied. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): ZipLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof ZipLimits, string][]) {
    const raw = env[name];
    if (raw !== undefined && /^\d+$/.test(raw)) limits[key] = Number(raw);
  }
  return limits;
}
