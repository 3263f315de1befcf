/** Internal consistency checks: a failure is a bug in the lab, never bad user input. */
export class EngineBug extends Error {
  constructor(message: string) {
    super(`engine bug: ${message}`);
    this.name = 'EngineBug';
  }
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new EngineBug(message);
}
