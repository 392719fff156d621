/**
 * Whether a service should get traffic: not while it drains (from the first moment of a SIGTERM), and
 * not while a dependency it cannot work without is away. Liveness never asks this. The HTTP readiness
 * route and the gRPC health service both answer from here, so they never disagree.
 */
export class Readiness {
  private drainingSince: number | undefined;

  /** Synchronous checks of state the service already tracks (a connection's status), never a round trip. */
  constructor(private readonly checks: ReadonlyArray<() => boolean> = []) {}

  drain(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  ready(): boolean {
    if (this.drainingSince !== undefined) return false;
    for (const check of this.checks) if (!check()) return false;
    return true;
  }
}
