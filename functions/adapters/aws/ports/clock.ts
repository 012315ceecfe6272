export const clock = () => ({ now: () => new Date().toISOString() });
