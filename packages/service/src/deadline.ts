/**
 * Waits for `work` at most `ms`; past that, runs `onTimeout` (which forces the matter: kills
 * sockets, force-closes workers) and resolves. Shutdown steps use it so that a stop is bounded
 * whatever the step waits on (a client that keeps its connection busy, a job stuck on a Redis that
 * is down), while the orderly path still runs first.
 */
export async function withDeadline(work: Promise<unknown>, ms: number, onTimeout: () => unknown): Promise<'done' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'timed out') await onTimeout();
  return outcome;
}
