import { useEffect, useRef, useState } from 'react';

/** Polls `load` every `intervalMs` while mounted: the console's live updates. */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  deps: readonly unknown[],
): { data: T | undefined; error: Error | undefined; refresh: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (!cancelled) {
          setData(value);
          setError(undefined);
        }
      } catch (failure) {
        if (!cancelled) setError(failure as Error);
      }
      if (!cancelled)
        timer = setTimeout(() => {
          void run();
        }, intervalMs);
    };
    void run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);
  return {
    data,
    error,
    refresh: () => {
      setTick((value) => value + 1);
    },
  };
}

export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, intervalMs);
    return () => {
      clearInterval(timer);
    };
  }, [intervalMs]);
  return now;
}

export function useHashRoute(): string {
  const [hash, setHash] = useState(window.location.hash || '#/deployments');
  useEffect(() => {
    const onChange = () => {
      setHash(window.location.hash || '#/deployments');
    };
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
    };
  }, []);
  return hash;
}
