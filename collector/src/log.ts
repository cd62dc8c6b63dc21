/** Minimal leveled logger writing one line per event to stderr (structured enough for grep). */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = LEVELS[level];
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string) => {
    if (LEVELS[lvl] >= min) write(`${new Date().toISOString()} ${lvl.toUpperCase()} burnrate: ${msg}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
