// What a command may touch of the outside world, passed in so tests run commands in-process.

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /** True when stdout is a terminal that may show colour (a TTY, and NO_COLOR not set). */
  readonly color?: boolean;
  /** Today as YYYY-MM-DD (exception expiry); the real date when absent. Tests pass a fixed one. */
  readonly today?: () => string;
  /** The environment (DOCKER_HOST); process.env when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
/** The command worked and found what the user asked it to fail on. */
export const EXIT_FOUND = 1;
/** Usage or input error. */
export const EXIT_USAGE = 2;

/** A usage error: reported as a message on stderr and exit code 2, never a stack trace. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}
