/** One line per step, with its time, so a long start shows where it is. */
export interface Progress {
  step<T>(label: string, run: () => Promise<T>, describe?: (result: T) => string): Promise<T>;
  info(line: string): void;
}

export function createProgress(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Progress {
  return {
    async step(label, run, describe) {
      const started = performance.now();
      write(`… ${label}`);
      try {
        const result = await run();
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        write(`✓ ${label}${describe ? `: ${describe(result)}` : ''} (${seconds} s)`);
        return result;
      } catch (e) {
        write(`✗ ${label}`);
        throw e;
      }
    },
    info: write,
  };
}
